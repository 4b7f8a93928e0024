"""One webhook POST over plain `http.client`, connected to the address `urls.check_url` checked.

The connection goes to `Target.address`, never to a fresh DNS answer, while the Host header and TLS (SNI and
certificate check) use the URL's host name: so a host that re-resolves inside our network between the check
and the connection (DNS rebinding) is never reached. Redirects are not followed (a 3xx is a failed attempt,
as with Stripe) and at most `MAX_READ_BYTES` of the answer are read. `timeout` bounds each socket operation,
and twice `timeout` the whole exchange: a watchdog shuts the socket down then, so a receiver that answers one
byte at a time cannot hold a worker (and outlive its lease).
"""

import contextlib
import http.client
import socket
import ssl
import threading
from typing import Final

from payments.webhooks.urls import Target

MAX_READ_BYTES: Final = 64 * 1024
USER_AGENT: Final = "TPWallet-Webhooks/1"


class _PinnedHttp(http.client.HTTPConnection):
    """An HTTP connection to a fixed address, whatever the host name resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHttps(_PinnedHttp):
    """The same over TLS, verifying the certificate for the URL's host name."""

    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target, timeout)
        self._tls = context

    def connect(self) -> None:
        super().connect()
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self.host)


def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    context: ssl.SSLContext | None = None,
) -> int:
    """POST `body` to `target`; the answer's status code. `OSError` or `http.client.HTTPException` when
    there is no answer in time."""
    connection: _PinnedHttp = (
        _PinnedHttps(target, timeout, context or ssl.create_default_context())
        if target.scheme == "https"
        else _PinnedHttp(target, timeout)
    )
    watchdog = threading.Timer(2 * timeout, _shut_down, (connection,))
    watchdog.start()
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        response = connection.getresponse()
        response.read(MAX_READ_BYTES)
        return response.status
    finally:
        watchdog.cancel()
        connection.close()


def _shut_down(connection: http.client.HTTPConnection) -> None:
    """End a connection's socket from another thread: its pending read fails at once."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # closed already
            sock.shutdown(socket.SHUT_RDWR)
