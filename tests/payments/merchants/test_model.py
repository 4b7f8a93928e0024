"""The merchant model's rules: codes, integer fees within bounds, and the status machine."""

import pytest

from payments.merchants.model import (
    MAX_MINOR_UNITS,
    TRANSITIONS,
    Application,
    FeeTerms,
    InvalidTransition,
    MerchantError,
    MerchantStatus,
    check_transition,
    country_code,
    currency_code,
)
from tests.payments.merchants.conftest import fees


@pytest.mark.parametrize("code", ["DE", "FR", "US", "JP", "BR"])
def test_assigned_countries_are_accepted(code: str):
    assert country_code(code) == code


@pytest.mark.parametrize("code", ["de", "XX", "DEU", "D", "", "ÄÖ", "UK"])
def test_other_countries_are_refused_naming_the_field(code: str):
    with pytest.raises(MerchantError) as refused:
        country_code(code)
    assert refused.value.field == "country"


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "BHD", "CHF"])
def test_currencies_with_a_minor_unit_are_accepted(code: str):
    assert currency_code(code) == code


@pytest.mark.parametrize("code", ["eur", "EURO", "ABC", "XAU", "XXX", ""])
def test_other_currencies_are_refused(code: str):
    with pytest.raises(MerchantError) as refused:
        currency_code(code)
    assert refused.value.field == "settlement_currency"


@pytest.mark.parametrize(
    ("basis_points", "fixed", "field"),
    [
        (-1, 0, "fees.card.basis_points"),
        (10_001, 0, "fees.card.basis_points"),
        (12.5, 0, "fees.card.basis_points"),
        (True, 0, "fees.card.basis_points"),
        ("30", 0, "fees.card.basis_points"),
        (30, -1, "fees.card.fixed"),
        (30, MAX_MINOR_UNITS + 1, "fees.card.fixed"),
        (30, 1.0, "fees.card.fixed"),
    ],
)
def test_fee_terms_are_integers_within_bounds(basis_points: object, fixed: object, field: str):
    with pytest.raises(MerchantError) as refused:
        FeeTerms.checked(basis_points, fixed, "fees.card")
    assert refused.value.field == field


def test_fee_bounds_are_inclusive():
    assert FeeTerms.checked(10_000, MAX_MINOR_UNITS, "fees.card") == FeeTerms(10_000, MAX_MINOR_UNITS)
    assert FeeTerms.checked(0, 0, "fees.card") == FeeTerms(0, 0)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"legal_name": " "}, "legal_name"),
        ({"legal_name": "x" * 201}, "legal_name"),
        ({"country": "XX"}, "country"),
        ({"settlement_currency": "XAU"}, "settlement_currency"),
    ],
)
def test_an_application_checks_its_fields(fields: dict[str, str], field: str):
    values = {"legal_name": "Acme", "country": "DE", "settlement_currency": "EUR", **fields}
    with pytest.raises(MerchantError) as refused:
        Application(**values, fees=fees())
    assert refused.value.field == field


@pytest.mark.parametrize("current", list(MerchantStatus))
@pytest.mark.parametrize("target", list(MerchantStatus))
def test_every_status_edge(current: MerchantStatus, target: MerchantStatus):
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, target)


def test_the_status_machine():
    assert TRANSITIONS[MerchantStatus.APPLIED] == {MerchantStatus.ACTIVE, MerchantStatus.REJECTED}
    assert TRANSITIONS[MerchantStatus.REJECTED] == set()
    assert TRANSITIONS[MerchantStatus.ACTIVE] == {MerchantStatus.SUSPENDED}
    assert TRANSITIONS[MerchantStatus.SUSPENDED] == {MerchantStatus.ACTIVE}
