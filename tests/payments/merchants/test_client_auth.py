"""Whether a presented client certificate goes with a merchant's key: each refusal on its own, in the order
the answer names them (issuer, names, issuance record, revocation, dates)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from custody.tls import CertificateAuthority
from payments.merchants.certificates import certify, load_or_create_ca, subject_of
from payments.merchants.client_auth import Refusal, named_tenant, refusal, san_uri
from payments.merchants.tenant import Tenant
from tests.helpers.csr import make_csr, p256_key

NOW = datetime.now(UTC)
LIVE_A = Tenant("mch_" + "a" * 24, True)
SANDBOX_A = Tenant(LIVE_A.merchant_id, False)
LIVE_B = Tenant("mch_" + "b" * 24, True)


@pytest.fixture
def cas(tmp_path: Path) -> dict[bool, CertificateAuthority]:
    return {livemode: load_or_create_ca(tmp_path, livemode) for livemode in (False, True)}


def _issue(ca: CertificateAuthority, tenant: Tenant, now: datetime = NOW) -> x509.Certificate:
    return certify(ca, x509.load_pem_x509_csr(make_csr().encode()), tenant, "Acme", now)


def _why(
    certificate: x509.Certificate,
    cas: dict[bool, CertificateAuthority],
    *,
    tenant: Tenant = LIVE_A,
    issued_to: Tenant | None = LIVE_A,
    revoked: bool = False,
    now: datetime = NOW,
) -> Refusal | None:
    certificates = {livemode: ca.certificate for livemode, ca in cas.items()}
    return refusal(certificate, tenant, certificates, issued_to, revoked, now)


def test_the_merchants_own_certificate_of_the_keys_mode_passes(cas: dict[bool, CertificateAuthority]):
    certificate = _issue(cas[True], LIVE_A)
    assert named_tenant(certificate) == LIVE_A
    assert _why(certificate, cas) is None


def test_a_certificate_of_the_other_mode_is_refused_as_such(cas: dict[bool, CertificateAuthority]):
    sandbox = _issue(cas[False], SANDBOX_A)
    assert _why(sandbox, cas, issued_to=SANDBOX_A) is Refusal.OTHER_MODE
    live = _issue(cas[True], LIVE_A)
    assert _why(live, cas, tenant=SANDBOX_A) is Refusal.OTHER_MODE


def test_a_live_ca_certificate_naming_sandbox_is_the_other_mode(cas: dict[bool, CertificateAuthority]):
    """Only a stolen CA key makes one: the names are checked even where the issuer is right."""
    certificate = _issue(cas[True], SANDBOX_A)
    assert _why(certificate, cas) is Refusal.OTHER_MODE


def test_another_merchants_certificate_is_refused(cas: dict[bool, CertificateAuthority]):
    assert _why(_issue(cas[True], LIVE_B), cas, issued_to=LIVE_B) is Refusal.OTHER_MERCHANT


def test_a_certificate_from_an_unknown_ca_with_the_same_names_is_refused(
    cas: dict[bool, CertificateAuthority],
):
    impostor = CertificateAuthority.create("tpw-merchant-ca-live")
    forged = impostor.certify(
        p256_key().public_key(),
        subject_of(LIVE_A, "Acme"),
        server_auth=False,
        client_auth=True,
        alt_names=[x509.UniformResourceIdentifier(san_uri(LIVE_A))],
    )
    assert named_tenant(forged) == LIVE_A
    assert _why(forged, cas) is Refusal.UNKNOWN_ISSUER


def test_a_certificate_the_api_has_no_record_of_is_refused(cas: dict[bool, CertificateAuthority]):
    """Signed by the right CA and naming the right merchant, but never issued: a stolen CA key's work."""
    certificate = _issue(cas[True], LIVE_A)
    assert _why(certificate, cas, issued_to=None) is Refusal.NOT_ISSUED
    assert _why(certificate, cas, issued_to=LIVE_B) is Refusal.NOT_ISSUED


def test_a_revoked_certificate_is_refused(cas: dict[bool, CertificateAuthority]):
    assert _why(_issue(cas[True], LIVE_A), cas, revoked=True) is Refusal.REVOKED


def test_dates_are_checked_against_the_clock(cas: dict[bool, CertificateAuthority]):
    certificate = _issue(cas[True], LIVE_A)
    assert _why(certificate, cas, now=certificate.not_valid_after_utc - timedelta(seconds=1)) is None
    assert _why(certificate, cas, now=certificate.not_valid_after_utc) is Refusal.EXPIRED
    assert _why(certificate, cas, now=certificate.not_valid_before_utc - timedelta(seconds=1)) is (
        Refusal.NOT_YET_VALID
    )


def test_a_certificate_without_the_merchant_uri_names_no_tenant(cas: dict[bool, CertificateAuthority]):
    server = cas[True].issue("tpw-merchant-x", server_auth=False, client_auth=True)
    assert named_tenant(server.certificate) is None
    assert _why(server.certificate, cas) is Refusal.NOT_ISSUED
