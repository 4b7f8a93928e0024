"""An assessment as data: every input as canonical JSON (its digest names the inputs exactly, so a replayed
decision can be matched to them) and the facts kept beside the decision, without the personal or payment
data (the IP address, the IBAN or card fingerprint or chain address), which only the digest covers."""

import hashlib
from dataclasses import asdict
from typing import Any

from chain.files import canonical_json
from risk.engine import Assessment


def _document(assessment: Assessment) -> dict[str, Any]:
    document = asdict(assessment)
    return {name: (str(value) if hasattr(value, "value") else value) for name, value in document.items()} | {
        "beneficiary": None
        if assessment.beneficiary is None
        else {
            "kind": str(assessment.beneficiary.kind),
            "value": assessment.beneficiary.value,
            "country": assessment.beneficiary.country,
            "trusted": assessment.beneficiary.trusted,
        }
    }


def inputs_digest(assessment: Assessment) -> str:
    """SHA-256 (hex) of the assessment's canonical JSON: equal inputs, equal digest."""
    return hashlib.sha256(canonical_json(_document(assessment))).hexdigest()


def assessment_facts(assessment: Assessment) -> dict[str, Any]:
    """The inputs an operator reads beside the decision: all but the IP address and the beneficiary's key."""
    document = _document(assessment)
    document.pop("ip")
    beneficiary = document["beneficiary"]
    if beneficiary is not None:
        beneficiary.pop("value")
    document["has_ip"] = assessment.ip is not None
    return document
