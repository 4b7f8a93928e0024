"""Reading an ASGI request body under a size limit: the one loop the API and the signer nodes both use.

The body is collected chunk by chunk and refused as soon as it passes the limit, so an oversized body (one
whose Content-Length lied, or a chunked one) never sits in memory whole; a client that disconnects before
sending all of it has no one waiting for an answer. Callers add their own deadline around it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only a type: importing this module loads no web framework
    from starlette.types import Receive


class BodyTooLarge(Exception):
    """The request body passed the limit."""


class ClientGone(Exception):
    """The client disconnected before its request was read: there is no one to answer."""


async def read_body(receive: Receive, max_bytes: int) -> bytes:
    """The whole body; BodyTooLarge as soon as it passes `max_bytes`, ClientGone on a disconnect."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
