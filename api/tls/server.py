"""The API's TLS server side: which certificate it serves, and the SSL context that asks for merchants'
client certificates.

The server certificate is the operator's (`api_tls_cert`/`api_tls_key`, e.g. from a public CA) or, by
default, issued at every start by the API's own server CA, kept under `api_tls_dir` the way the custody
group keeps its CA (`custody.tls`: P-256, created on first use, files 0600): a fresh leaf for loopback each
start leaves nothing to revoke, and clients trust ``<api_tls_dir>/ca.crt``.

The context accepts TLS 1.2 and 1.3 (merchants' HTTP clients are not all on 1.3) and sends the two merchant
CAs as the acceptable client CAs, verifying a client certificate against them and nothing else (never the
system store). A certificate is optional (`CERT_OPTIONAL`): operators and customers connect without one, and
whether a request needed one is the app's decision (`api.merchants.mtls`). Dates are not checked here
(`VERIFY_NO_CHECK_TIME`): the app checks them, so an expired certificate is answered with a problem
document naming the reason rather than a bare handshake alert; a certificate from another CA still fails
the handshake.
"""

import datetime
import ssl
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization

from api.settings import ApiSettings
from api.tls.scope import PROTOCOL
from custody.tls import DEFAULT_LEAF_VALIDITY, CertificateAuthority, TlsError, TlsPaths
from payments.merchants import certificates

SERVER_CA_NAME: Final = "tpw-api-server-ca"
SERVER_NAME: Final = "tpw-api"
SERVER_CA_VALIDITY: Final = datetime.timedelta(days=5 * 365)
SERVER_TLS_NAME: Final = "server"
"""File stem of the issued server certificate and key in `api_tls_dir`."""
ALPN: Final = ("http/1.1",)
VERIFY_NO_CHECK_TIME: Final = 0x200000
"""OpenSSL's X509_V_FLAG_NO_CHECK_TIME, which `ssl.VerifyFlags` does not name."""


def server_credential(settings: ApiSettings) -> tuple[Path, Path]:
    """The server certificate and key files to serve: the configured ones, or a fresh pair issued by the
    API's server CA (created on first use) and written to `api_tls_dir`."""
    if settings.api_tls_cert is not None and settings.api_tls_key is not None:
        return settings.api_tls_cert, settings.api_tls_key
    directory = settings.api_tls_dir
    ca = CertificateAuthority.load_or_create(
        directory / "ca.pem", SERVER_CA_NAME, validity=SERVER_CA_VALIDITY
    )
    paths = TlsPaths.in_directory(directory, SERVER_TLS_NAME)
    paths.write(
        ca, ca.issue(SERVER_NAME, server_auth=True, client_auth=False, validity=DEFAULT_LEAF_VALIDITY)
    )
    return paths.certificate, paths.key


def merchant_cas_pem(merchant_ca_dir: Path) -> str:
    """Both modes' merchant CA certificates (created on first use), PEM, the client CAs the server trusts."""
    return "".join(
        certificates.load_or_create_ca(merchant_ca_dir, livemode)
        .certificate.public_bytes(serialization.Encoding.PEM)
        .decode()
        for livemode in (False, True)
    )


def server_context(certificate: Path, key: Path, merchant_ca_dir: Path) -> ssl.SSLContext:
    """The API's server context: its certificate, client certificates optional and verified against the
    merchant CAs only, dates left to the app."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_OPTIONAL
    context.verify_flags |= ssl.VERIFY_X509_STRICT | VERIFY_NO_CHECK_TIME
    context.set_alpn_protocols(list(ALPN))
    try:
        context.load_cert_chain(certificate, key)
        context.load_verify_locations(cadata=merchant_cas_pem(merchant_ca_dir))
    except (OSError, ssl.SSLError) as error:
        raise TlsError(
            f"cannot load the API's TLS material ({certificate}, {key}): {type(error).__name__}"
        ) from None
    return context


def _context_for_uvicorn(
    certificate: Path, key: Path, merchant_ca_dir: Path, config: Any, default: Callable[[], ssl.SSLContext]
) -> ssl.SSLContext:
    """uvicorn's ``ssl_context_factory`` signature; its config and default context are not used."""
    return server_context(certificate, key, merchant_ca_dir)


def uvicorn_options(settings: ApiSettings) -> dict[str, Any]:
    """What `uvicorn.run` needs to serve HTTPS with client certificates in the scope (`api.tls.scope`):
    nothing when `api_tls` is off. Issues the server certificate when none is configured."""
    if not settings.api_tls:
        return {}
    certificate, key = server_credential(settings)
    server_context(certificate, key, settings.merchant_ca_dir)  # fail here, before uvicorn, if unusable
    return {
        "http": PROTOCOL,
        "ssl_context_factory": partial(_context_for_uvicorn, certificate, key, settings.merchant_ca_dir),
    }
