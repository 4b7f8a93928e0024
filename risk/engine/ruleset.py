"""A loaded rule file, compiled: what `RiskEngine.decide` runs. Built by `risk.engine.rulefile` only."""

from collections.abc import Mapping
from dataclasses import dataclass

from risk.engine.conditions import Predicate
from risk.engine.model import Kind, KycTier, Outcome, Reason
from risk.engine.velocity import Dimension, Figure

STEP_UP_FACTORS = frozenset({"passkey", "totp", "payment_password"})


@dataclass(frozen=True, slots=True)
class Rule:
    """`matches` (its conditions, all of them) holds => `reason` is what the decision reports. `kinds` are
    the kinds of action its `kind` conditions admit and `matches_for_kind` its other conditions: for an
    action of one of `kinds`, the two predicates agree, and the engine tests only the second."""

    id: str
    matches: Predicate
    kinds: frozenset[Kind]
    matches_for_kind: Predicate
    reason: Reason
    factors: tuple[str, ...]
    shadow: bool
    line: int


@dataclass(frozen=True, slots=True)
class TierLimit:
    """The most one payment may move (`single`) and the most the customer may move over the tier window
    (`window_total`, this payment included), per currency; a currency not listed is not allowed."""

    single: Mapping[str, int]
    window_total: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class TierLimits:
    window: int
    outcome: Outcome
    limits: Mapping[KycTier, TierLimit]


@dataclass(frozen=True, slots=True)
class LowValue:
    """RTS art. 16: at most `single` per payment, and since the payer's last SCA fewer than `max_count`
    exempted payments totalling (with this one) at most `cumulative`."""

    single: Mapping[str, int]
    cumulative: Mapping[str, int]
    max_count: int


@dataclass(frozen=True, slots=True)
class TraBand:
    """RTS art. 18: a PSP whose reference fraud rate is at most `fraud_rate_ppm` may exempt up to `up_to`."""

    fraud_rate_ppm: int
    up_to: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class ScaPolicy:
    required_for: frozenset[Kind]
    low_value: LowValue
    fraud_rate_ppm: int
    tra_max_score: int
    tra_bands: tuple[TraBand, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """`digest` names the file's content (sha256, 16 hex digits) in every decision made with it.
    `by_kind` holds, per kind of action, the rules that admit it, in the file's order (the order of a
    decision's reasons)."""

    path: str
    digest: str
    shadow: bool
    windows: Mapping[str, int]
    rules: tuple[Rule, ...]
    by_kind: Mapping[Kind, tuple[Rule, ...]]
    thresholds: tuple[tuple[int, Outcome], ...]
    factors: tuple[str, ...]
    fallback_factors: tuple[str, ...]
    tier_limits: TierLimits
    sca: ScaPolicy
    rule_figures: frozenset[Figure]

    @property
    def figures(self) -> frozenset[Figure]:
        """Every velocity figure a decision may read: the rules' and the KYC tier window's."""
        return self.rule_figures | {Figure(Dimension.CUSTOMER, self.tier_limits.window, True)}
