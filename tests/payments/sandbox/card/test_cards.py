"""The card checks on entry: Luhn, brand by IIN and length, expiry, CVC length; problems name their field."""

import datetime

import pytest

from payments.sandbox.card.cards import Brand, CardInput, behaviour, check, luhn_valid

TODAY = datetime.date(2026, 12, 7)


def problems(
    number: str = "4242424242424242", month: int = 12, year: int = 2030, cvc: str = "123"
) -> dict[str, str]:
    _, found = check(CardInput(number, month, year, cvc), TODAY)
    return {problem.field: problem.message for problem in found}


@pytest.mark.parametrize(
    "number", ["4242424242424242", "378282246310005", "5555555555554444", "6011111111111117"]
)
def test_valid_numbers_pass_luhn(number: str) -> None:
    assert luhn_valid(number)


def test_a_changed_digit_fails_luhn() -> None:
    assert not luhn_valid("4242424242424241")
    assert "Luhn" in problems("4242424242424241")["card.number"]


@pytest.mark.parametrize(
    ("number", "brand", "cvc"),
    [
        ("4242424242424242", Brand.VISA, "123"),
        ("378282246310005", Brand.AMEX, "1234"),
        ("5555555555554444", Brand.MASTERCARD, "123"),
    ],
)
def test_brand_by_iin(number: str, brand: Brand, cvc: str) -> None:
    rule, found = check(CardInput(number, 12, 2030, cvc), TODAY)
    assert found == []
    assert rule is not None
    assert rule.brand is brand


def test_malformed_numbers_name_the_field() -> None:
    assert set(problems("4242 4242")) == {"card.number"}
    assert set(problems("12345678903")) == {"card.number"}  # too short
    assert "brand" in problems("9999999999999995")["card.number"]  # Luhn-valid, no brand
    assert "length" in problems("44444444444444444")["card.number"]  # Luhn-valid visa of 17 digits


def test_expiry() -> None:
    assert set(problems(month=13)) == {"card.exp_month"}
    assert set(problems(month=0)) == {"card.exp_month"}
    assert "expired" in problems(month=11, year=2026)["card.exp_month"]
    assert problems(month=12, year=2026) == {}  # the current month is still valid
    assert set(problems(year=2025)) == {"card.exp_year"}


def test_cvc_length_by_brand() -> None:
    assert set(problems(cvc="12")) == {"card.cvc"}
    assert set(problems(cvc="1234")) == {"card.cvc"}  # visa: 3
    assert set(problems("378282246310005", cvc="123")) == {"card.cvc"}  # amex: 4


def test_problems_never_repeat_the_number() -> None:
    number = "4242424242424241"
    assert all(number not in message for message in problems(number, month=13, cvc="1").values())


def test_test_cards_behave_as_stripes() -> None:
    assert behaviour("4000000000009995").decline_code == "insufficient_funds"
    assert behaviour("4000002760003184").challenge
    assert behaviour("4000008260003178").decline_after_challenge == "insufficient_funds"
    assert behaviour("4000000000000259").disputed
    assert behaviour("5555555555554444").decline_code is None
