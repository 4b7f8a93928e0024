"""The POST itself: sent to the checked address, and bounded in time even against a receiver that drips."""

import http.client
import socket
import threading
import time

import pytest

from payments.webhooks.transport import post
from payments.webhooks.urls import Target


def _dripping_server(stop: threading.Event) -> int:
    """A loopback server that reads a request, then answers one byte every 0.1 s, forever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
            if stop.wait(0.1):
                break
            try:
                connection.sendall(bytes([byte]))
            except OSError:
                break
        connection.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


def test_a_receiver_answering_byte_by_byte_is_cut_off_at_twice_the_timeout():
    stop = threading.Event()
    port = _dripping_server(stop)
    # The URL's host is a name that resolves nowhere: the connection goes to the checked address only.
    target = Target("http", "receiver.invalid", port, "/hooks", "127.0.0.1")
    began = time.monotonic()
    try:
        with pytest.raises((OSError, http.client.HTTPException)):
            post(target, b"{}", {}, timeout=0.5)
    finally:
        stop.set()
    assert time.monotonic() - began < 2.5
