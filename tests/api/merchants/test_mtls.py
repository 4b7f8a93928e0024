"""Mutual TLS for merchant keys, over real TLS on loopback: the API served by uvicorn (in a thread) with
`api_tls` on and the default policy (live keys need their certificate), called by httpx clients that
present certificates or not.

A live key passes with its merchant's live certificate and with nothing else: no certificate, another
merchant's, its own sandbox one, a revoked or an expired one are each answered with a 403 problem naming
the reason; one from an unknown CA with the very same names does not even complete the handshake.
Operators' keys and (under this policy) sandbox keys are unaffected.
"""

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from api.app import create_app
from api.auth import issue_api_key
from api.settings import ApiSettings
from api.tls.server import uvicorn_options
from custody.tls import CertificateAuthority, fingerprint
from payments.merchants import certificates, store
from payments.merchants.certificates import certify, load_or_create_ca, subject_of
from payments.merchants.client_auth import san_uri
from payments.merchants.tenant import Tenant
from tests.api.merchants.conftest import Caller, Onboarded, onboard
from tests.helpers.csr import make_csr, p256_key
from tests.helpers.db import session_on
from tests.helpers.served import serving

LOOPBACK = "127.0.0.1"


@pytest.fixture
def api_settings(api_settings: ApiSettings, database_url: str, tmp_path: Path) -> ApiSettings:
    """The base settings (on `database_url`, so pytest parametrizes this override over it too) serving
    TLS, with the server CA under the test's directory and the default mTLS policy."""
    return api_settings.model_copy(update={"api_tls": True, "api_tls_dir": tmp_path / "api-tls"})


@dataclass
class Identity:
    """A client certificate and its private key, as a merchant keeps them."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey = field(repr=False)

    def write(self, directory: Path) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        name = fingerprint(self.certificate)[:16]
        certificate_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
        certificate_path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_path.chmod(0o600)
        return certificate_path, key_path


@dataclass
class Served:
    """The API over HTTPS, and a way to make clients of it."""

    url: str
    settings: ApiSettings
    directory: Path
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, identity: Identity | None = None) -> httpx.Client:
        """An HTTPS client that trusts the API's server CA only and presents `identity`, if any."""
        context = ssl.create_default_context(cafile=self.settings.api_tls_dir / "ca.crt")
        if identity is not None:
            context.load_cert_chain(*identity.write(self.directory / "identities"))
        opened = httpx.Client(base_url=self.url, verify=context, timeout=20)
        self.clients.append(opened)
        return opened

    def admin(self) -> Caller:
        with session_on(self.settings.database_url) as session:
            return Caller(self.client(), issue_api_key(session, "desk", ["merchants:admin"]).token)


@pytest.fixture
def served(api_settings: ApiSettings, tmp_path: Path) -> Iterator[Served]:
    """The app served over HTTPS by uvicorn (in a thread) as `python -m api` serves it."""
    config = uvicorn.Config(
        create_app(api_settings), log_config=None, access_log=False, **uvicorn_options(api_settings)
    )
    with socket.create_server((LOOPBACK, 0)) as listening, serving(config, [listening]):
        running = Served(f"https://{LOOPBACK}:{listening.getsockname()[1]}", api_settings, tmp_path)
        try:
            yield running
        finally:
            for client in running.clients:
                client.close()


def _enrol(admin: Caller, merchant: Onboarded, mode: str) -> Identity:
    """The merchant's first certificate of `mode`, through an operator (the merchant's key cannot get one
    without a certificate of its mode: that is the point)."""
    key = p256_key()
    response = admin.post(f"/v1/merchants/{merchant.id}/certificates", {"csr": make_csr(key), "mode": mode})
    assert response.status_code == 201, response.text
    return Identity(x509.load_pem_x509_certificate(response.json()["certificate"].encode()), key)


def _as(served: Served, merchant: Onboarded, mode: str, identity: Identity | None) -> Caller:
    token = (merchant.live if mode == "live" else merchant.sandbox).token
    return Caller(served.client(identity), token)


def _refused(response: httpx.Response, problem: str, reason: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:tpwallet:problem:{problem}"
    assert response.json()["reason"] == reason


def test_a_live_key_with_its_certificate_is_served_and_renews_it(served: Served):
    admin = served.admin()
    merchant = onboard(admin.client, admin, "Merchant A")
    identity = _enrol(admin, merchant, "live")
    live = _as(served, merchant, "live", identity)

    own = live.get("/v1/merchant")
    assert own.status_code == 200, own.text
    assert own.json()["id"] == merchant.id
    renewed = live.post(f"/v1/merchants/{merchant.id}/certificates", {"csr": make_csr()})
    assert renewed.status_code == 201, renewed.text  # a POST too: renewal with the current certificate
    assert renewed.json()["mode"] == "live"

    # Operators and, under the default policy, sandbox keys need none.
    assert admin.get(f"/v1/merchants/{merchant.id}").status_code == 200
    assert _as(served, merchant, "sandbox", None).get("/v1/merchant").status_code == 200


def test_a_live_key_without_its_certificate_is_refused_naming_why(served: Served):
    admin = served.admin()
    merchant_a = onboard(admin.client, admin, "Merchant A")
    merchant_b = onboard(admin.client, admin, "Merchant B")
    a_sandbox = _enrol(admin, merchant_a, "sandbox")
    b_live = _enrol(admin, merchant_b, "live")

    _refused(
        _as(served, merchant_a, "live", None).get("/v1/merchant"),
        "client-certificate-required",
        "no-certificate",
    )
    _refused(
        _as(served, merchant_a, "live", b_live).get("/v1/merchant"),
        "client-certificate-refused",
        "other-merchant",
    )
    _refused(
        _as(served, merchant_a, "live", a_sandbox).get("/v1/merchant"),
        "client-certificate-refused",
        "other-mode",
    )
    # The sandbox key with the sandbox certificate passes, and B with its own: each refusal was about A.
    assert _as(served, merchant_a, "sandbox", a_sandbox).get("/v1/merchant").status_code == 200
    assert _as(served, merchant_b, "live", b_live).get("/v1/merchant").status_code == 200


def test_an_expired_certificate_is_refused(served: Served):
    """Issued by the live CA and recorded as issued, 100 days ago, for 90 days."""
    admin = served.admin()
    merchant = onboard(admin.client, admin, "Merchant A")
    tenant, key = Tenant(merchant.id, True), p256_key()
    issued_at = datetime.now(UTC) - timedelta(days=100)
    ca = load_or_create_ca(served.settings.merchant_ca_dir, True)
    csr = x509.load_pem_x509_csr(make_csr(key).encode())
    certificate = certify(ca, csr, tenant, "Merchant A", issued_at)
    assert certificate.not_valid_after_utc < datetime.now(UTC)
    with session_on(served.settings.database_url) as session:
        store.record_certificate(
            session,
            tenant,
            serial_number=certificate.serial_number,
            fingerprint_sha256=fingerprint(certificate),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            now=issued_at,
        )
        session.commit()

    response = _as(served, merchant, "live", Identity(certificate, key)).get("/v1/merchant")
    _refused(response, "client-certificate-refused", "expired")
    assert "expired" in response.json()["detail"]


def test_a_revoked_certificate_is_refused_from_the_next_request(served: Served):
    admin = served.admin()
    merchant = onboard(admin.client, admin, "Merchant A")
    identity, spare = _enrol(admin, merchant, "live"), _enrol(admin, merchant, "live")
    live = _as(served, merchant, "live", identity)
    listed = {
        item["fingerprint_sha256"]: item["id"] for item in live.get("/v1/merchant").json()["certificates"]
    }
    revoked_id = listed[fingerprint(identity.certificate)]

    revoked = live.delete(f"/v1/merchants/{merchant.id}/certificates/{revoked_id}")
    assert revoked.status_code == 200, revoked.text  # the merchant revokes with the certificate itself
    assert revoked.json()["revoked_at"] is not None
    _refused(live.get("/v1/merchant"), "client-certificate-refused", "revoked")  # same connection
    _refused(
        _as(served, merchant, "live", identity).get("/v1/merchant"), "client-certificate-refused", "revoked"
    )
    assert _as(served, merchant, "live", spare).get("/v1/merchant").status_code == 200


def test_a_certificate_from_an_unknown_ca_with_the_same_names_fails_the_handshake(served: Served):
    admin = served.admin()
    merchant = onboard(admin.client, admin, "Merchant A")
    tenant, key = Tenant(merchant.id, True), p256_key()
    impostor = CertificateAuthority.create("tpw-merchant-ca-live")
    forged = impostor.certify(
        key.public_key(),
        subject_of(tenant, "Merchant A"),
        server_auth=False,
        client_auth=True,
        alt_names=[x509.UniformResourceIdentifier(san_uri(tenant))],
    )
    with pytest.raises(httpx.TransportError):  # TLS 1.3: the server's alert comes after the client's Finished
        _as(served, merchant, "live", Identity(forged, key)).get("/v1/merchant")
    # On TLS 1.2 the server's verdict comes within the handshake: it fails before a byte of HTTP, where
    # the merchant's real certificate completes it.
    host, port = served.url.removeprefix("https://").split(":")
    for identity, completes in ((Identity(forged, key), False), (_enrol(admin, merchant, "live"), True)):
        context = ssl.create_default_context(cafile=served.settings.api_tls_dir / "ca.crt")
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(*identity.write(served.directory / "tls12"))
        with socket.create_connection((host, int(port))) as raw:
            if completes:
                context.wrap_socket(raw, server_hostname=host).close()
            else:
                with pytest.raises((ssl.SSLError, ConnectionError)):
                    context.wrap_socket(raw, server_hostname=host)
    assert admin.get(f"/v1/merchants/{merchant.id}").status_code == 200  # the server carries on
    assert certificates.ca_path(served.settings.merchant_ca_dir, True).exists()
