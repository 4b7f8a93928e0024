"""The KYC provider's result webhook read into a `ProviderResult`: each result, and each malformed body
refused naming its field."""

import json
from typing import Any

import pytest

from payments.rails.kyc.events import InvalidResult, parse_result
from risk.kyc.checks import CheckStatus


def event(**data: Any) -> bytes:
    base = {"id": "kyc_sbx_1", "reference": "kyc_chk_1", "result": "clear", "reasons": []}
    return json.dumps({"id": "evt_1", "type": "check.completed", "data": base | data}).encode()


@pytest.mark.parametrize(
    ("result", "status"),
    [("clear", CheckStatus.APPROVED), ("rejected", CheckStatus.REJECTED), ("review", CheckStatus.REVIEW)],
)
def test_each_result_maps_to_a_check_status(result: str, status: CheckStatus) -> None:
    read = parse_result(event(result=result, reasons=["document_expired"]))
    assert (read.provider_check_id, read.check_id, read.status, read.reasons) == (
        "kyc_sbx_1",
        "kyc_chk_1",
        status,
        ("document_expired",),
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (json.dumps({"type": "check.created", "data": {}}).encode(), "type"),
        (json.dumps({"type": "check.completed", "data": []}).encode(), "data"),
        (event(result="approved"), "data.result"),
        (event(reasons="document_expired"), "data.reasons"),
        (event(id=""), "data.id"),
        (event(reference=7), "data.reference"),
    ],
)
def test_a_malformed_result_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(InvalidResult) as refused:
        parse_result(body)
    assert refused.value.field == field
