"""What the processor checks of a card on entry, and what its test cards do.

Checks: the number is 12..19 digits passing Luhn's check, of a brand known by its IIN (leading digits) at a
length that brand issues; the expiry month is 1..12 and the month not past; the CVC has the brand's length
(4 for American Express, 3 otherwise). Each refusal names its field (`card.number`, `card.exp_month`,
`card.exp_year`, `card.cvc`) and never repeats the number.

The test cards are Stripe's: the number decides the outcome of an authorization, as in Stripe's test mode.
Any other valid number is approved.
"""

import datetime
import enum
import re
from dataclasses import dataclass
from typing import Final

DIGITS: Final = re.compile(r"[0-9]{12,19}")
CVC_DIGITS: Final = re.compile(r"[0-9]{3,4}")
MAX_YEARS_AHEAD: Final = 50


class Brand(enum.StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"


@dataclass(frozen=True, slots=True)
class BrandRule:
    brand: Brand
    prefixes: tuple[range, ...]
    """IIN ranges over the number's first `len(str(range.start))` digits."""
    lengths: tuple[int, ...]
    cvc_length: int


BRANDS: Final = (
    BrandRule(Brand.AMEX, (range(34, 35), range(37, 38)), (15,), 4),
    BrandRule(Brand.VISA, (range(4, 5),), (13, 16, 19), 3),
    BrandRule(Brand.MASTERCARD, (range(51, 56), range(2221, 2721)), (16,), 3),
    BrandRule(Brand.DISCOVER, (range(6011, 6012), range(65, 66), range(644, 650)), (16, 19), 3),
)


@dataclass(frozen=True, slots=True)
class CardProblem:
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class CardInput:
    number: str
    exp_month: int
    exp_year: int
    cvc: str


def luhn_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def brand_rule(number: str) -> BrandRule | None:
    for rule in BRANDS:
        for prefixes in rule.prefixes:
            width = len(str(prefixes.start))
            if int(number[:width]) in prefixes:
                return rule
    return None


def check(card: CardInput, today: datetime.date) -> tuple[BrandRule | None, list[CardProblem]]:
    """The card's brand and every problem of its fields (none: the card may be tokenized)."""
    problems: list[CardProblem] = []
    rule = None
    if not DIGITS.fullmatch(card.number):
        problems.append(CardProblem("card.number", "a card number is 12 to 19 digits"))
    elif not luhn_valid(card.number):
        problems.append(CardProblem("card.number", "the card number fails its check digit (Luhn)"))
    else:
        rule = brand_rule(card.number)
        if rule is None:
            problems.append(CardProblem("card.number", "the card number is of no brand this processor takes"))
        elif len(card.number) not in rule.lengths:
            problems.append(CardProblem("card.number", f"a {rule.brand} card number is not of this length"))
    if not 1 <= card.exp_month <= 12:
        problems.append(CardProblem("card.exp_month", "the expiry month is 1 to 12"))
    elif not today.year <= card.exp_year <= today.year + MAX_YEARS_AHEAD:
        problems.append(CardProblem("card.exp_year", "the expiry year is past or too far ahead"))
    elif (card.exp_year, card.exp_month) < (today.year, today.month):
        problems.append(CardProblem("card.exp_month", "the card has expired"))
    cvc_length = rule.cvc_length if rule is not None else None
    if not CVC_DIGITS.fullmatch(card.cvc) or (cvc_length is not None and len(card.cvc) != cvc_length):
        problems.append(CardProblem("card.cvc", f"the CVC is {cvc_length or '3 or 4'} digits"))
    return (rule if not problems else None), problems


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What an authorization of a test card does."""

    decline_code: str | None = None
    """Declined at once with this code."""
    challenge: bool = False
    """Asks for 3-D Secure first."""
    decline_after_challenge: str | None = None
    """Declined with this code once the challenge is passed."""
    disputed: bool = False
    """Approved, then disputed by the cardholder once captured (a `dispute.created` webhook)."""


APPROVED: Final = Behaviour()
TEST_CARDS: Final = {
    "4242424242424242": APPROVED,
    "4000000000000002": Behaviour(decline_code="generic_decline"),
    "4000000000009995": Behaviour(decline_code="insufficient_funds"),
    "4000000000000069": Behaviour(decline_code="expired_card"),
    "4000000000000127": Behaviour(decline_code="incorrect_cvc"),
    "4000002760003184": Behaviour(challenge=True),
    "4000008260003178": Behaviour(challenge=True, decline_after_challenge="insufficient_funds"),
    "4000000000000259": Behaviour(disputed=True),
}
"""Stripe's test cards; every other valid number is approved."""

AUTHENTICATION_FAILED: Final = "authentication_failed"
"""The decline code of an authorization whose 3-D Secure challenge the customer failed."""


def behaviour(number: str) -> Behaviour:
    return TEST_CARDS.get(number, APPROVED)
