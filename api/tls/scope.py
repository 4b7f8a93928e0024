"""The TLS connection's verified client certificate, in the ASGI scope as the ASGI TLS extension says.

uvicorn (0.54) terminates TLS but puts nothing of it in the scope beyond ``scheme``. Its httptools protocol
(httptools is a dependency of ours, so uvicorn's "auto" picks it too) is subclassed here and selected with
uvicorn's ``http=`` option (`api.tls.server.uvicorn_options`). When a connection is made (after the
handshake: asyncio calls ``connection_made`` once it completes, so the peer certificate is known), the
connection's app is wrapped to add ``scope["extensions"]["tls"]`` to each of its requests, as the ASGI
spec's TLS extension describes it: ``client_cert_chain`` is a list of PEM certificates (the leaf only: the
`ssl` module hands out no chain before Python 3.13), empty when the client sent none.

Only the server adds the extension, and only on a TLS connection, so its absence means plain HTTP, whatever
``scheme`` (which a trusted proxy's X-Forwarded-Proto may rewrite) or any header says.
"""

import asyncio
import ssl
from typing import Any, Final

from cryptography import x509
from uvicorn._types import ASGI3Application, ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TLS_VERSIONS: Final = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
PROTOCOL: Final = "api.tls.scope:HttpToolsTlsProtocol"
"""What `api.__main__` passes as uvicorn's ``http`` option (an import string: workers import it)."""


def tls_extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI TLS extension for a connection, or None if it is not TLS."""
    ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    name = x509.load_der_x509_certificate(der).subject.rfc4514_string() if der else None
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": name,
        "client_cert_error": None,
        "tls_version": TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": None,
    }


def with_tls(app: ASGI3Application, transport: asyncio.BaseTransport) -> ASGI3Application:
    """`app` for one connection, adding its TLS extension to every scope (`app` itself if not TLS)."""
    extension = tls_extension(transport)
    if extension is None:
        return app

    async def app_with_tls(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        untyped: Any = scope  # uvicorn types an extension's value as dict[object, object]
        untyped["extensions"] = {**(untyped.get("extensions") or {}), "tls": extension}
        await app(scope, receive, send)

    return app_with_tls


class HttpToolsTlsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the TLS extension in every request's scope."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app = with_tls(self.app, transport)


def client_certificate_pem(scope: Any) -> str | None:
    """The verified client certificate of the request's TLS connection (PEM), or None without one."""
    chain = ((scope.get("extensions") or {}).get("tls") or {}).get("client_cert_chain") or []
    return chain[0] if chain else None


def over_tls(scope: Any) -> bool:
    """Whether the request came over a TLS connection this server terminated."""
    return "tls" in (scope.get("extensions") or {})
