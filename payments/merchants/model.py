"""A merchant account's values and the rules they obey, checked before anything is stored.

Country is an ISO 3166-1 alpha-2 code (pycountry's table), settlement currency an ISO 4217 code with a
minor unit (the `iso4217` package; gold and other units without one settle nothing). A fee is basis points
of the amount plus a fixed amount in the settlement currency's minor units, per payment method; both are
integers, never floats: 12.5 bp cannot be charged exactly, so it cannot be asked for. The merchant category
(ISO 18245, `risk.engine.mcc`'s table) is optional: the risk rules read it, and one not set matches none.
The status moves applied -> active | rejected, and active <-> suspended; rejected is final.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

import iso4217
import pycountry

from risk.engine.mcc import UnknownCategory, check_mcc

MAX_BASIS_POINTS: Final = 10_000
"""100 %: a fee above the whole amount is a mistake, not a price."""
MAX_MINOR_UNITS: Final = 2**63 - 1
"""The ledger's bound on an amount (BIGINT)."""
MAX_LEGAL_NAME: Final = 200


class MerchantError(ValueError):
    """A merchant request that breaks the model's rules; `field` names the offending field, if one does."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidTransition(MerchantError):
    """A status change the account's current status does not allow (approving a rejected account...)."""


class PaymentMethod(StrEnum):
    """The rails a merchant is priced for."""

    CARD = "card"
    BANK = "bank"
    STABLECOIN = "stablecoin"


class MerchantStatus(StrEnum):
    """Where the account is in its life: only an active merchant's keys act."""

    APPLIED = "applied"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


TRANSITIONS: Final[dict[MerchantStatus, frozenset[MerchantStatus]]] = {
    MerchantStatus.APPLIED: frozenset({MerchantStatus.ACTIVE, MerchantStatus.REJECTED}),
    MerchantStatus.ACTIVE: frozenset({MerchantStatus.SUSPENDED}),
    MerchantStatus.SUSPENDED: frozenset({MerchantStatus.ACTIVE}),
    MerchantStatus.REJECTED: frozenset(),
}


def _strict_int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MerchantError(f"{field} is an integer, not {type(value).__name__}", field)
    if not low <= value <= high:
        raise MerchantError(f"{field} is {value}: it must lie in [{low}, {high}]", field)
    return value


def country_code(value: str, field: str = "country") -> str:
    """`value` if it is an assigned ISO 3166-1 alpha-2 code in upper case; MerchantError otherwise."""
    if (
        len(value) != 2
        or not value.isascii()
        or not value.isupper()
        or pycountry.countries.get(alpha_2=value) is None
    ):
        raise MerchantError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE)", field)
    return value


def currency_code(value: str, field: str = "settlement_currency") -> str:
    """`value` if it is an ISO 4217 code with a minor unit, in upper case; MerchantError otherwise."""
    try:
        currency = iso4217.Currency(value) if len(value) == 3 and value.isupper() else None
    except ValueError:
        currency = None
    if currency is None or currency.exponent is None:
        raise MerchantError(f"{value!r} is not an ISO 4217 currency code with a minor unit (e.g. EUR)", field)
    return value


def category_code(value: str, field: str = "mcc") -> str:
    """`value` if it is a merchant category code (ISO 18245) the risk rules know; MerchantError otherwise."""
    try:
        return check_mcc(value)
    except UnknownCategory as error:
        raise MerchantError(str(error), field) from None


@dataclass(frozen=True)
class FeeTerms:
    """One method's price: `basis_points` of the amount plus `fixed` minor units."""

    basis_points: int
    fixed: int

    @classmethod
    def checked(cls, basis_points: object, fixed: object, field: str) -> "FeeTerms":
        """Terms from untrusted values; MerchantError naming `field`.basis_points or `field`.fixed."""
        return cls(
            _strict_int(basis_points, f"{field}.basis_points", 0, MAX_BASIS_POINTS),
            _strict_int(fixed, f"{field}.fixed", 0, MAX_MINOR_UNITS),
        )


@dataclass(frozen=True)
class FeeSchedule:
    """A merchant's price for each payment method."""

    card: FeeTerms
    bank: FeeTerms
    stablecoin: FeeTerms

    def for_method(self, method: PaymentMethod) -> FeeTerms:
        """The terms of `method`."""
        terms: FeeTerms = getattr(self, method.value)
        return terms


@dataclass(frozen=True)
class Application:
    """What an applicant asks for: checked on construction, so a bad field never reaches the store."""

    legal_name: str
    country: str
    settlement_currency: str
    fees: FeeSchedule
    mcc: str | None = None
    """The merchant category (ISO 18245), which the risk rules read; None: not yet categorised, so no
    category rule matches its payments."""

    def __post_init__(self) -> None:
        if not self.legal_name.strip() or len(self.legal_name) > MAX_LEGAL_NAME:
            raise MerchantError(f"legal_name has 1 to {MAX_LEGAL_NAME} characters", "legal_name")
        country_code(self.country)
        currency_code(self.settlement_currency)
        if self.mcc is not None:
            category_code(self.mcc)


@dataclass(frozen=True, kw_only=True)
class Merchant(Application):
    """A merchant account as stored: the application, and where the account stands."""

    id: str
    status: MerchantStatus
    created_at: datetime
    updated_at: datetime

    @property
    def active(self) -> bool:
        """True when the merchant's keys may act."""
        return self.status is MerchantStatus.ACTIVE


def check_transition(current: MerchantStatus, target: MerchantStatus) -> None:
    """InvalidTransition unless an account in `current` may move to `target`."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"a merchant that is {current.value} cannot become {target.value}", "status")
