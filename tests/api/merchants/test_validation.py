"""Malformed applications and key requests: each a 422 problem document naming the bad field."""

import copy
from typing import Any

import pytest

from tests.api.merchants.conftest import APPLICATION, Caller

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def changed(path: str, value: Any) -> dict[str, Any]:
    """The valid application with the field at dotted `path` set to `value` (or removed: `...`)."""
    body = copy.deepcopy(APPLICATION)
    *parents, last = path.split(".")
    target = body
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return body


BAD_FIELDS = [
    ("country", "de"),
    ("country", "XX"),
    ("country", "DEU"),
    ("country", 276),
    ("settlement_currency", "eur"),
    ("settlement_currency", "EURO"),
    ("settlement_currency", "ABC"),
    ("settlement_currency", "XAU"),  # gold: no minor unit to settle in
    ("legal_name", ""),
    ("legal_name", "x" * 201),
    ("fees.card.basis_points", -1),
    ("fees.card.basis_points", 12.5),
    ("fees.card.basis_points", 10_001),
    ("fees.card.basis_points", "30"),
    ("fees.card.basis_points", True),
    ("fees.bank.fixed", "-1"),
    ("fees.bank.fixed", "1.5"),
    ("fees.bank.fixed", 30),  # an amount is a decimal string
    ("fees.bank.fixed", str(2**63)),
    ("fees.bank.fixed", "1e3"),
    ("fees.stablecoin", ...),
    ("fees.stablecoin.surcharge", "1"),
]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("field", "value"), BAD_FIELDS, ids=[f"{field}={value!r}"[:40] for field, value in BAD_FIELDS]
)
def test_a_malformed_application_is_422_naming_the_field(admin: Caller, field: str, value: Any):
    response = admin.post("/v1/merchants/applications", changed(field, value))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


@SQLITE_ONLY
def test_the_bounds_are_accepted(admin: Caller):
    body = changed("fees.card.basis_points", 10_000)
    body["fees"]["bank"]["fixed"] = str(2**63 - 1)
    response = admin.post(
        "/v1/merchants/applications", {**body, "country": "JP", "settlement_currency": "JPY"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["fees"]["bank"]["fixed"] == str(2**63 - 1)


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "production"}, "mode"),
        ({}, "mode"),
        ({"mode": "live", "scopes": ["merchants:admin"]}, "scopes.0"),
        ({"mode": "live", "scopes": []}, "scopes"),
        ({"mode": "live", "name": ""}, "name"),
    ],
)
def test_a_malformed_key_request_is_422_naming_the_field(admin: Caller, body: dict[str, Any], field: str):
    response = admin.post("/v1/merchants/mch_" + "0" * 24 + "/api-keys", body)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]
