"""Hands the client's TLS certificate to the app: uvicorn's HTTP protocol plus the ASGI TLS scope extension.

uvicorn verifies the client certificate during the handshake but does not tell the application whose it
was, and a node must know: only the coordinator may ask for signatures. `MutualTlsHttpProtocol` reads the
verified peer certificate once per connection and puts it into every request's scope as the ASGI TLS
extension (``scope["extensions"]["tls"]``: ``client_cert_chain``, ``client_cert_name``, ``tls_version``),
where `custody.node.http.peer` reads it. Tests that drive the app in-process wrap it with
`with_tls_extension`.

It extends uvicorn's httptools protocol (a C parser, part of ``uvicorn[standard]``) when httptools is
installed, as uvicorn's own "auto" choice would, and the pure-Python h11 protocol otherwise.
"""

import asyncio
import ssl
from typing import Any, Final

from cryptography import x509
from starlette.types import ASGIApp, Receive, Scope, Send

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpProtocol
except ImportError:  # pragma: no cover - depends on the installed extras
    from uvicorn.protocols.http.h11_impl import H11Protocol as _HttpProtocol  # type: ignore[assignment]

TLS_1_3: Final = 0x0304


def tls_extension(peer_der: bytes | None) -> dict[str, Any]:
    """The ASGI TLS extension for a connection whose verified client certificate is `peer_der` (DER)."""
    if peer_der is None:
        return {"client_cert_chain": [], "client_cert_name": None, "tls_version": TLS_1_3}
    certificate = x509.load_der_x509_certificate(peer_der)
    return {
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(peer_der)],
        "client_cert_name": certificate.subject.rfc4514_string(),
        "client_cert_error": None,
        "tls_version": TLS_1_3,
        "cipher_suite": None,
        "server_cert": None,
    }


def with_tls_extension(app: ASGIApp, tls: dict[str, Any]) -> ASGIApp:
    """`app`, with `tls` set as the TLS extension of every HTTP request's scope."""

    async def app_with_tls(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["extensions"] = {**scope.get("extensions", {}), "tls": tls}
        await app(scope, receive, send)

    return app_with_tls


class MutualTlsHttpProtocol(_HttpProtocol):
    """uvicorn's HTTP protocol (one instance per connection) adding the connection's client certificate to
    each request's scope. Pass the class as ``uvicorn.Config(http=...)``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        peer_der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        self.app = with_tls_extension(self.config.loaded_app, tls_extension(peer_der))
