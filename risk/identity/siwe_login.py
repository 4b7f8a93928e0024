"""Sign-In with Ethereum (EIP-4361) through the `siwe` package: nonces we issue, and messages we accept.

A nonce is issued by us, stored with its expiry and spent once; it is spent in the same transaction that
opens the session, by an UPDATE matching only an unspent, unexpired nonce, so a replayed message (or two
racing logins with one message) signs in once. A message is accepted only for our domain, a URI under our
origin, a chain id we allow, inside its issued-at / not-before / expiration window, and signed by its
address (EIP-191 personal_sign, an externally owned account: no RPC, so contract wallets are refused).
"""

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import siwe
from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, update

from risk.identity.errors import InvalidInput, LoginRefused
from risk.identity.schema import siwe_nonces

NONCE_BYTES: Final = 16
CLOCK_SKEW_SECONDS: Final = 60
"""How far in the future a wallet's clock may put `Issued At`."""


@dataclass(frozen=True)
class SiwePolicy:
    """What a sign-in message must say to be ours (from the API's settings)."""

    domain: str
    """The RFC 3986 authority the wallet shows, e.g. ``wallet.example.com``."""
    uri: str
    """Our origin, e.g. ``https://wallet.example.com``: the message's URI is it or a path under it."""
    chain_ids: Collection[int]
    nonce_seconds: int = 300


@dataclass(frozen=True)
class IssuedNonce:
    nonce: str
    expires_at: int


@dataclass(frozen=True)
class VerifiedLogin:
    """A message that holds, before its nonce is spent (`spend_nonce`)."""

    address: str
    nonce: str
    chain_id: int


def issue_nonce(connection: Connection, policy: SiwePolicy, now: int) -> IssuedNonce:
    """A fresh single-use nonce (128 bits, alphanumeric as EIP-4361 wants), valid `nonce_seconds`; the
    expired ones are deleted."""
    connection.execute(delete(siwe_nonces).where(siwe_nonces.c.expires_at <= now))
    nonce = secrets.token_hex(NONCE_BYTES)
    expires_at = now + policy.nonce_seconds
    connection.execute(insert(siwe_nonces).values(nonce=nonce, expires_at=expires_at))
    return IssuedNonce(nonce, expires_at)


def verify_message(policy: SiwePolicy, message: str, signature: str, now: int) -> VerifiedLogin:
    """The address that signed `message`, if the message is ours and valid at `now`; `LoginRefused` naming
    the field at fault otherwise. The nonce is checked and spent by `spend_nonce`."""
    try:
        parsed = siwe.SiweMessage.from_message(message)
    except (ValueError, ValidationError):
        raise InvalidInput("the message is not an EIP-4361 sign-in message", field="message") from None
    if parsed.domain != policy.domain:
        raise LoginRefused(f"the message is for another domain; sign in to {policy.domain}", field="domain")
    if not _under(parsed.uri, policy.uri):
        raise LoginRefused(f"the message's URI is not under {policy.uri}", field="uri")
    if parsed.chain_id not in policy.chain_ids:
        raise LoginRefused(f"chain id {parsed.chain_id} is not accepted here", field="chain_id")
    moment = datetime.fromtimestamp(now, UTC)
    if _seconds(parsed.issued_at) > now + CLOCK_SKEW_SECONDS:
        raise LoginRefused("the message is issued in the future", field="issued_at")
    try:
        parsed.verify(signature, domain=policy.domain, timestamp=moment)
    except siwe.ExpiredMessage:
        raise LoginRefused("the message has expired", field="expiration_time") from None
    except siwe.NotYetValidMessage:
        raise LoginRefused("the message is not valid yet", field="not_before") from None
    except siwe.VerificationError:
        raise LoginRefused("the signature is not the address's", field="signature") from None
    return VerifiedLogin(parsed.address, parsed.nonce, parsed.chain_id)


def spend_nonce(connection: Connection, nonce: str, now: int) -> None:
    """Spend `nonce` once; `LoginRefused` if we did not issue it, it expired or it was spent."""
    spent = connection.execute(
        update(siwe_nonces)
        .where(siwe_nonces.c.nonce == nonce, siwe_nonces.c.used_at.is_(None), siwe_nonces.c.expires_at > now)
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        raise LoginRefused("the nonce is unknown, expired or already used; ask for a new one", field="nonce")


def _under(uri: str, origin: str) -> bool:
    base = origin.rstrip("/")
    return uri == base or uri.startswith(base + "/")


def _seconds(stamp: str) -> int:
    return int(datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp())
