"""Which URLs an endpoint may have, and the addresses a delivery may connect to (SSRF guard).

The rule: an endpoint URL is `https://` to a host whose every address is public (`ipaddress.is_global`):
private (RFC 1918, fc00::/7), loopback, link-local (169.254/16, where cloud metadata answers; fe80::/10),
shared (100.64/10), multicast, reserved and unspecified addresses are refused, IPv4 embedded in IPv6 judged as
the IPv4 it holds. The one exception is a sandbox endpoint in a dev environment (the devnet, tests): it may
also be a loopback address, over `http://` or `https://`, so a local receiver can be used; a private or
link-local address is refused there too. No credentials in the URL, no fragment, at most 2048 characters.

The rule is applied when an endpoint is created and again before every delivery, on the addresses the host
resolves to then; the delivery connects to the address that was checked (`transport`), so a DNS answer that
changes between the check and the connection (rebinding) cannot point a delivery inside our network.
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

MAX_URL_LENGTH: Final = 2048
DEFAULT_PORTS: Final = {"http": 80, "https": 443}

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class UnsafeUrl(ValueError):
    """A URL an endpoint may not have, or one whose host now resolves somewhere a delivery may not go."""


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise UnsafeUrl(f"the host {host} does not resolve") from None
    return sorted({str(info[4][0]) for info in infos})


def _address(text: str) -> IpAddress:
    address = ipaddress.ip_address(text.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or address.teredo
        if isinstance(embedded, tuple):  # teredo: (server, client)
            embedded = embedded[1]
        if embedded is not None:
            return embedded
    return address


def allowed_address(text: str, allow_loopback: bool) -> bool:
    """Whether a delivery may connect to the address `text` under the rule of this module."""
    address = _address(text)
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def check_url(url: str, *, allow_loopback: bool, resolver: Resolver = resolve) -> Target:
    """The delivery target of `url` if the rule allows it; `UnsafeUrl` saying why not."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("the URL is malformed") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise UnsafeUrl("the URL must be https://host/...")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise UnsafeUrl("the URL may not hold credentials or a fragment")
    port = port if port is not None else DEFAULT_PORTS[parts.scheme]
    addresses = resolver(parts.hostname, port)
    refused = [address for address in addresses if not allowed_address(address, allow_loopback)]
    if refused or not addresses:
        raise UnsafeUrl(f"the host {parts.hostname} resolves to an address webhooks may not reach")
    loopback = all(_address(address).is_loopback for address in addresses)
    if parts.scheme != "https" and not loopback:
        raise UnsafeUrl("the URL must use https (http only to a loopback receiver of a sandbox in dev)")
    path = parts.path or "/"
    return Target(
        parts.scheme, parts.hostname, port, f"{path}?{parts.query}" if parts.query else path, addresses[0]
    )
