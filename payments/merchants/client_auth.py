"""Whether a client certificate presented over TLS may accompany a merchant's API key.

The TLS layer has already checked that the certificate chains to one of the merchant CAs (it trusts those
and nothing else), but not its dates: the API's server ignores time there so that an expired certificate
earns a problem document saying so instead of an anonymous handshake alert. Everything else is decided
here, for the tenant (merchant, mode) whose key came with it, and in this order so that the answer names
the first thing wrong:

1. signed by the merchant CA of the key's mode (a sandbox certificate never passes on a live key, whatever
   its names say; one from neither CA is `UNKNOWN_ISSUER`, a check of its own in case a terminator in front
   trusts more than it should);
2. its SAN URI ``urn:tpwallet:merchant:<id>:<mode>`` names the key's merchant and mode;
3. it is a certificate the API issued (its fingerprint is stored: a certificate forged with a stolen CA key
   is not) and nobody revoked;
4. the clock is within its validity.
"""

import datetime
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from payments.merchants.tenant import Tenant

_SAN_URI_RE: Final = re.compile(r"urn:tpwallet:merchant:(?P<merchant>[^:]+):(?P<mode>sandbox|live)")


class Refusal(StrEnum):
    """Why a presented certificate does not authenticate a merchant key (the problem's ``reason``)."""

    UNKNOWN_ISSUER = "unknown-issuer"
    OTHER_MODE = "other-mode"
    OTHER_MERCHANT = "other-merchant"
    NOT_ISSUED = "not-issued"
    REVOKED = "revoked"
    NOT_YET_VALID = "not-yet-valid"
    EXPIRED = "expired"


def san_uri(tenant: Tenant) -> str:
    """The SAN URI a certificate for `tenant` carries."""
    return f"urn:tpwallet:merchant:{tenant.merchant_id}:{tenant.mode}"


def named_tenant(certificate: x509.Certificate) -> Tenant | None:
    """The tenant the certificate's one SAN URI names, or None if it names none (or several)."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    uris = [_SAN_URI_RE.fullmatch(uri) for uri in names.get_values_for_type(x509.UniformResourceIdentifier)]
    matches = [match for match in uris if match is not None]
    if len(matches) != 1:
        return None
    try:
        return Tenant(matches[0]["merchant"], matches[0]["mode"] == "live")
    except ValueError:  # a merchant id no merchant can have
        return None


def _issued_by(certificate: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def refusal(
    certificate: x509.Certificate,
    tenant: Tenant,
    cas: Mapping[bool, x509.Certificate],
    issued_to: Tenant | None,
    revoked: bool,
    now: datetime.datetime,
) -> Refusal | None:
    """Why `certificate` does not go with `tenant`'s key, or None if it does.

    `cas` maps livemode to that mode's merchant CA certificate; `issued_to` is the tenant the API's record
    of this certificate (found by fingerprint, `payments.merchants.store.certificate_by_fingerprint`) names,
    None without a record, and `revoked` whether that record is revoked."""
    if not _issued_by(certificate, cas[tenant.livemode]):
        other_mode = _issued_by(certificate, cas[not tenant.livemode])
        return Refusal.OTHER_MODE if other_mode else Refusal.UNKNOWN_ISSUER
    named = named_tenant(certificate)
    if named is None:
        return Refusal.NOT_ISSUED  # our CA never signs a certificate without the name
    if named.merchant_id != tenant.merchant_id:
        return Refusal.OTHER_MERCHANT
    if named.livemode != tenant.livemode:
        return Refusal.OTHER_MODE
    if issued_to != tenant:
        return Refusal.NOT_ISSUED
    if revoked:
        return Refusal.REVOKED
    if now < certificate.not_valid_before_utc:
        return Refusal.NOT_YET_VALID
    if now >= certificate.not_valid_after_utc:
        return Refusal.EXPIRED
    return None
