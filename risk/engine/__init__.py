"""The risk rules engine: an `Assessment` of one payment, payout or sensitive change in, a `Decision` out
(`allow`, `step_up` with factors, `review`, `deny`), with reasons, a score and the PSD2 SCA exemption applied.

Rules live in a YAML file (config/risk/rules.yaml) checked at load with file:line faults, compiled into
predicates once, re-read when the file changes (the last good set kept on a bad edit), each rule or the
whole file enforced or in shadow. Velocity windows are in memory (`velocity`), the IP's country comes from a
pluggable lookup (`geo`). Nothing here does I/O but reading the rule and CIDR files.
"""

from risk.engine.engine import RiskEngine
from risk.engine.errors import InvalidAssessment, RiskEngineError, RuleFileError
from risk.engine.geo import CidrTable, CountryLookup
from risk.engine.model import (
    Assessment,
    Beneficiary,
    BeneficiaryKind,
    Decision,
    Exemption,
    Kind,
    KycTier,
    Outcome,
    Reason,
    SensitiveChange,
)
from risk.engine.reload import RuleSource
from risk.engine.rulefile import load_rules

__all__ = [
    "Assessment",
    "Beneficiary",
    "BeneficiaryKind",
    "CidrTable",
    "CountryLookup",
    "Decision",
    "Exemption",
    "InvalidAssessment",
    "Kind",
    "KycTier",
    "Outcome",
    "Reason",
    "RiskEngine",
    "RiskEngineError",
    "RuleFileError",
    "RuleSource",
    "SensitiveChange",
    "load_rules",
]
