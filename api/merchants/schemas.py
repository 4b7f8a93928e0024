"""Request and response bodies of the merchant routes.

Fees are integers only: basis points as a JSON integer (a float such as 12.5 is refused, not rounded), the
fixed part in the settlement currency's minor units as a decimal string like every amount (0 to 2^63 - 1).
A key's secret (`token`) is in the answer that issued it and nowhere else: a replay of that request (same
Idempotency-Key) answers the key with `token: null`.
"""

from datetime import datetime
from typing import Annotated, Final

from pydantic import AfterValidator, ConfigDict, Field

from api.auth import MERCHANT_SCOPES, MerchantScope
from api.schemas import ApiModel, DecimalSpelling
from payments.merchants.model import (
    MAX_BASIS_POINTS,
    MAX_LEGAL_NAME,
    MAX_MINOR_UNITS,
    MerchantStatus,
    category_code,
    country_code,
    currency_code,
)
from payments.merchants.tenant import Mode

MERCHANT_ID_PATTERN: Final = r"^mch_[0-9a-f]{24}$"
KEY_ID_PATTERN: Final = r"^[0-9a-f]{16}$"
CERTIFICATE_ID_PATTERN: Final = r"^crt_[0-9a-f]{24}$"


MinorUnits = Annotated[
    int, DecimalSpelling(numbers=False, maximum=MAX_MINOR_UNITS, kind="amount", article="an")
]
"""An amount in minor units: a decimal string, 0 to 2^63 - 1."""
Country = Annotated[str, AfterValidator(country_code)]
Currency = Annotated[str, AfterValidator(currency_code)]
Category = Annotated[str, AfterValidator(category_code)]
"""A merchant category code (ISO 18245): 4 digits, one of the risk rules' table (`risk.engine.mcc`)."""


class Strict(ApiModel):
    """A request body: unknown fields are refused (a misspelt fee must not be silently dropped)."""

    model_config = ConfigDict(extra="forbid")


class FeeTerms(Strict):
    """One payment method's price: a share of the amount plus a fixed amount."""

    basis_points: Annotated[int, Field(strict=True, ge=0, le=MAX_BASIS_POINTS)]
    """Hundredths of a percent of the amount, an integer from 0 to 10000."""
    fixed: MinorUnits
    """Added to every payment, in the settlement currency's minor units."""


class FeeSchedule(Strict):
    """The merchant's price for each payment method."""

    card: FeeTerms
    bank: FeeTerms
    stablecoin: FeeTerms


class MerchantApplication(Strict):
    """An application for a merchant account."""

    legal_name: Annotated[str, Field(min_length=1, max_length=MAX_LEGAL_NAME)]
    """The business's registered name."""
    country: Country
    """Where the business is registered: ISO 3166-1 alpha-2, upper case (DE, FR, US...)."""
    settlement_currency: Currency
    """What the merchant is paid out in: ISO 4217, upper case (EUR, USD...)."""
    fees: FeeSchedule
    mcc: Category | None = None
    """The merchant category, ISO 18245 (4 digits as a string: 5411 groceries, 7995 betting...), which
    the risk rules read on its customers' payments; null: not categorised yet (no category rule matches)."""


class MerchantUpdate(Strict):
    """An operator's change to an account: today its category only."""

    mcc: Category | None
    """The new merchant category (ISO 18245, as in the application); null clears it."""


class MerchantOut(MerchantApplication):
    """A merchant account: what was applied for, and where the account stands."""

    id: str
    status: MerchantStatus
    """applied, then active or rejected; an active merchant may be suspended."""
    created_at: datetime
    updated_at: datetime


class ApiKeyOut(ApiModel):
    """One of a merchant's API keys, without its secret."""

    id: str
    name: str
    mode: Mode
    """sandbox (token `tpw_test_...`) or live (`tpw_live_...`)."""
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class IssuedApiKeyOut(ApiKeyOut):
    """A key just issued."""

    token: str | None
    """The key itself, shown in this answer only (null in a replay): store it now."""


class CertificateOut(ApiModel):
    """A client certificate the merchant CA issued (its fingerprint is what is kept)."""

    id: str
    mode: Mode
    serial_number: str
    """Hexadecimal."""
    fingerprint_sha256: str
    """SHA-256 of the certificate's DER encoding, hex."""
    not_before: datetime
    not_after: datetime
    created_at: datetime
    revoked_at: datetime | None = None
    """When it was revoked (`DELETE .../certificates/{id}`): the API refuses it from then on."""


class IssuedCertificateOut(CertificateOut):
    """A certificate just issued, with the CA that verifies it."""

    certificate: str
    """The client certificate, PEM."""
    ca_certificate: str
    """The mode's merchant CA certificate, PEM."""


class MerchantDetail(MerchantOut):
    """A merchant with the keys and certificates the caller may see (its own mode's, for a merchant key)."""

    api_keys: list[ApiKeyOut]
    certificates: list[CertificateOut]


class Approval(ApiModel):
    """An approved merchant and its first keys, one a mode."""

    merchant: MerchantOut
    api_keys: list[IssuedApiKeyOut]


class ApiKeyCreate(Strict):
    """A new key for the merchant."""

    mode: Mode
    """sandbox or live; a merchant's key issues keys of its own mode only."""
    name: Annotated[str, Field(min_length=1, max_length=128)] = "default"
    scopes: Annotated[list[MerchantScope], Field(min_length=1)] = Field(
        default_factory=lambda: list(MERCHANT_SCOPES)
    )
    """What the key may do: `merchant:read` (read the account), `merchant:write` (its keys, certificates)."""


class CertificateCreate(Strict):
    """A certificate signing request (the merchant keeps the private key)."""

    csr: Annotated[str, Field(min_length=1, max_length=16_384)]
    """PEM (`-----BEGIN CERTIFICATE REQUEST-----`), EC P-256 or P-384; its names are ignored."""
    mode: Mode | None = None
    """sandbox or live; default (and, for a merchant's key, the only one allowed): the key's mode."""
