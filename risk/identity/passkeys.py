"""Passkeys (WebAuthn Level 3) through the `webauthn` package: registration and authentication ceremonies.

Each ceremony's challenge is made and kept here, server side, with an id the client sends back: it is spent
once (an UPDATE that matches only an unspent, unexpired row), expires after `challenge_seconds`, and a
registration's is bound to the subject of the session that asked for it, so a challenge leaked from one
session cannot register a key on another identity. The package checks the client data's challenge, type and
origin (one of ours), the RP id hash, user presence and the signature; we add the sign counter's update in
SQL, so two assertions racing with one counter value (a cloned authenticator) cannot both pass.
"""

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import webauthn
from sqlalchemy import Connection, delete, insert, select, update
from webauthn.helpers import (
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from risk.identity.errors import CeremonyRefused
from risk.identity.schema import challenges, passkeys

Ceremony = Literal["registration", "authentication"]
CEREMONY_PREFIX: Final = "wac_"
CHALLENGE_BYTES: Final = 32


@dataclass(frozen=True)
class PasskeyPolicy:
    """Our relying party (from the API's settings)."""

    rp_id: str
    rp_name: str
    origins: Sequence[str]
    challenge_seconds: int = 300


@dataclass(frozen=True)
class CeremonyOptions:
    """What the client passes to `navigator.credentials.create/get` (`options`, JSON-ready) and the id it
    sends back with the answer."""

    ceremony_id: str
    options: dict[str, Any]
    expires_at: int


def registration_options(
    connection: Connection, policy: PasskeyPolicy, subject_id: str, user_name: str, now: int
) -> CeremonyOptions:
    """Options to create a passkey for `subject_id` (its existing passkeys excluded)."""
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    options = webauthn.generate_registration_options(
        rp_id=policy.rp_id,
        rp_name=policy.rp_name,
        user_name=user_name,
        user_id=subject_id.encode(),
        challenge=challenge,
        timeout=policy.challenge_seconds * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=descriptors(connection, subject_id),
    )
    return _store(
        connection, policy, "registration", subject_id, challenge, webauthn.options_to_json(options), now
    )


def verify_registration(
    connection: Connection,
    policy: PasskeyPolicy,
    ceremony_id: str,
    subject_id: str,
    credential: dict[str, Any],
    now: int,
) -> str:
    """Store the passkey `credential` (a `PublicKeyCredential` as JSON) answers the ceremony with, for
    `subject_id`; its credential id (base64url). `CeremonyRefused` naming the field at fault."""
    challenge = _spend(connection, ceremony_id, "registration", subject_id, now)
    try:
        parsed = parse_registration_credential_json(credential)
        verified = webauthn.verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=policy.rp_id,
            expected_origin=list(policy.origins),
        )
    except WebAuthnException as error:
        raise CeremonyRefused(f"the passkey does not verify: {error}", field="credential") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if _passkey(connection, credential_id) is not None:
        raise CeremonyRefused("this passkey is registered already", field="credential")
    transports = [str(transport.value) for transport in parsed.response.transports or ()]
    connection.execute(
        insert(passkeys).values(
            credential_id=credential_id,
            subject_id=subject_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=json.dumps(transports),
            created_at=now,
        )
    )
    return credential_id


def authentication_options(connection: Connection, policy: PasskeyPolicy, now: int) -> CeremonyOptions:
    """Options to sign in with any of our passkeys (discoverable credentials: the authenticator picks)."""
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    options = webauthn.generate_authentication_options(
        rp_id=policy.rp_id,
        challenge=challenge,
        timeout=policy.challenge_seconds * 1000,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return _store(
        connection, policy, "authentication", None, challenge, webauthn.options_to_json(options), now
    )


def verify_authentication(
    connection: Connection, policy: PasskeyPolicy, ceremony_id: str, credential: dict[str, Any], now: int
) -> str:
    """The subject whose passkey signed the ceremony's challenge; its sign count is advanced.
    `CeremonyRefused` for another origin or RP id, an unknown passkey, or a counter that did not increase."""
    challenge = _spend(connection, ceremony_id, "authentication", None, now)
    return verify_assertion(connection, policy, challenge, credential, now)


def verify_assertion(
    connection: Connection,
    policy: PasskeyPolicy,
    challenge: bytes,
    credential: dict[str, Any],
    now: int,
    *,
    subject_id: str | None = None,
    require_user_verification: bool = False,
) -> str:
    """The subject whose passkey signed `challenge` (spent by the caller); its sign count is advanced.

    Shared by sign-in and a payment's step-up (`risk.factors.passkey`), which passes `subject_id` (a
    passkey of anyone else is refused before its signature is even checked) and asks for user
    verification. `CeremonyRefused` (field `credential`) for another origin or RP id, an unknown passkey,
    a missing user verification, or a counter that did not increase."""
    try:
        parsed = parse_authentication_credential_json(credential)
    except WebAuthnException:
        raise CeremonyRefused("the assertion is malformed", field="credential") from None
    stored = _passkey(connection, bytes_to_base64url(parsed.raw_id))
    if stored is None or (subject_id is not None and stored.subject_id != subject_id):
        raise CeremonyRefused("no such passkey here", field="credential")
    try:
        verified = webauthn.verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=policy.rp_id,
            expected_origin=list(policy.origins),
            credential_public_key=stored.public_key,
            credential_current_sign_count=stored.sign_count,
            require_user_verification=require_user_verification,
        )
    except WebAuthnException as error:
        raise CeremonyRefused(f"the assertion does not verify: {error}", field="credential") from None
    counted = connection.execute(
        update(passkeys)
        .where(
            passkeys.c.credential_id == stored.credential_id,
            passkeys.c.sign_count < verified.new_sign_count
            if verified.new_sign_count
            else passkeys.c.sign_count == 0,
        )
        .values(sign_count=verified.new_sign_count, last_used_at=now)
    )
    if counted.rowcount != 1:
        raise CeremonyRefused("the passkey's sign counter did not increase", field="credential")
    return str(stored.subject_id)


def _store(
    connection: Connection,
    policy: PasskeyPolicy,
    ceremony: Ceremony,
    subject_id: str | None,
    challenge: bytes,
    options_json: str,
    now: int,
) -> CeremonyOptions:
    connection.execute(delete(challenges).where(challenges.c.expires_at <= now))
    ceremony_id = CEREMONY_PREFIX + secrets.token_hex(16)
    expires_at = now + policy.challenge_seconds
    connection.execute(
        insert(challenges).values(
            id=ceremony_id,
            ceremony=ceremony,
            subject_id=subject_id,
            challenge=challenge,
            expires_at=expires_at,
        )
    )
    return CeremonyOptions(ceremony_id, json.loads(options_json), expires_at)


def _spend(
    connection: Connection, ceremony_id: str, ceremony: Ceremony, subject_id: str | None, now: int
) -> bytes:
    """The ceremony's challenge, spent now; refused if unknown, of another kind or subject, spent or
    expired."""
    row = connection.execute(
        update(challenges)
        .where(
            challenges.c.id == ceremony_id,
            challenges.c.ceremony == ceremony,
            challenges.c.subject_id.is_(None)
            if subject_id is None
            else challenges.c.subject_id == subject_id,
            challenges.c.used_at.is_(None),
            challenges.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(challenges.c.challenge)
    ).one_or_none()
    if row is None:
        raise CeremonyRefused(
            "the ceremony is unknown, expired, already used or not this session's; start a new one",
            field="ceremony_id",
        )
    return bytes(row.challenge)


def _passkey(connection: Connection, credential_id: str) -> Any:
    return connection.execute(select(passkeys).where(passkeys.c.credential_id == credential_id)).one_or_none()


def descriptors(connection: Connection, subject_id: str) -> list[PublicKeyCredentialDescriptor]:
    """`subject_id`'s passkeys as WebAuthn credential descriptors (excluded at registration, allowed at a
    payment's step-up)."""
    rows = connection.execute(
        select(passkeys.c.credential_id, passkeys.c.transports).where(passkeys.c.subject_id == subject_id)
    )
    return [
        PublicKeyCredentialDescriptor(
            id=webauthn.base64url_to_bytes(row.credential_id),
            transports=[AuthenticatorTransport(name) for name in json.loads(row.transports)],
        )
        for row in rows
    ]
