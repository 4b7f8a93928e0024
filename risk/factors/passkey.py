"""A passkey as a payment's step-up factor, with PSD2 dynamic linking (RTS art. 5).

Art. 5 asks that the authentication code be specific to the amount and the payee, and that a change to
either invalidate it. A WebAuthn assertion signs the client data, which carries the challenge; so the
challenge is not random bytes alone but SHA-256 of a domain-separated canonical encoding of what is being
authorized (`challenge_for`): purpose, customer, intent, amount, currency, payee, a 256-bit single-use
nonce and the expiry. The server stores the binding and the nonce (never the challenge) under a `fpc_` id;
at verification it spends the row once (a conditional UPDATE, as every challenge here), then recomputes the
challenge from the payment *as it is now*: an assertion made for another intent, another amount or another
payee signs another challenge and does not verify, and a payment changed since the options were issued is
refused by name (`amount`, `currency`, `payee`) before any signature is checked.

The spend commits in its own transaction before the assertion is checked, so a refused or replayed
assertion has used its challenge up (as a sign-in's does). The assertion itself is checked by
`risk.identity.passkeys.verify_assertion` — origin, RP id, user presence *and verification* (the passkey
is then possession plus inherence or knowledge, two SCA elements in one gesture), the signature, a
credential of this customer only, and a sign counter that must increase. Passkey failures are not counted
toward a lockout: an assertion cannot be guessed, and each attempt costs a fresh challenge.
"""

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import webauthn
from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from webauthn.helpers.structs import UserVerificationRequirement

from chain.files import canonical_json
from risk.factors.errors import FactorError, NotEnrolled
from risk.factors.model import Factor, FactorStatus
from risk.factors.schema import passkey_challenges
from risk.identity.errors import CeremonyRefused
from risk.identity.passkeys import CeremonyOptions, PasskeyPolicy, descriptors, verify_assertion
from risk.identity.schema import passkeys

CHALLENGE_PREFIX: Final = "fpc_"
NONCE_BYTES: Final = 32
DOMAIN: Final = b"TPW-PASSKEY-STEP-UP-v1\n"


class PasskeyRefused(FactorError):
    """The passkey step-up does not hold: an unknown, spent, expired or foreign challenge (`ceremony_id`),
    a payment changed since the challenge was issued (`amount`, `currency`, `payee`), or an assertion that
    does not verify for it (`credential`). Nothing moved but the challenge, which is spent."""

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(Factor.PASSKEY, detail, field=field)


@dataclass(frozen=True)
class PaymentBinding:
    """What a payment's passkey challenge authorizes: `amount` in minor units of `currency`, to `payee` (the
    merchant, and its mode), for intent `reference`."""

    reference: str
    amount: int
    currency: str
    payee: str
    purpose: str = "payment"


@dataclass(frozen=True)
class PasskeyAssertion:
    """The customer's answer: the challenge's id and the `PublicKeyCredential` JSON of the assertion."""

    ceremony_id: str
    credential: dict[str, Any]


def challenge_for(subject_id: str, binding: PaymentBinding, nonce: bytes, expires_at: int) -> bytes:
    """The 32-byte WebAuthn challenge that binds an assertion to `binding` for `subject_id`."""
    claims = {
        "purpose": binding.purpose,
        "subject": subject_id,
        "reference": binding.reference,
        "amount": binding.amount,
        "currency": binding.currency,
        "payee": binding.payee,
        "nonce": nonce.hex(),
        "expires_at": expires_at,
    }
    return hashlib.sha256(DOMAIN + canonical_json(claims)).digest()


def passkey_status(connection: Connection, subject_id: str) -> FactorStatus:
    """Whether `subject_id` has a passkey (registered through `/v1/auth/passkeys`); never locked."""
    count = connection.scalar(
        select(func.count()).select_from(passkeys).where(passkeys.c.subject_id == subject_id)
    )
    return FactorStatus(Factor.PASSKEY, enrolled=bool(count), locked_until=None)


@dataclass(frozen=True)
class PasskeyStepUp:
    """Issues payment-bound passkey challenges and verifies the assertions answering them."""

    engine: Engine
    policy: PasskeyPolicy
    clock: Callable[[], int]

    def options(self, subject_id: str, binding: PaymentBinding) -> CeremonyOptions:
        """Request options for `navigator.credentials.get()`, allowing only `subject_id`'s passkeys and
        requiring user verification; `NotEnrolled` when the subject has none."""
        now = self.clock()
        with self.engine.begin() as connection:
            allowed = descriptors(connection, subject_id)
            if not allowed:
                raise NotEnrolled(Factor.PASSKEY, subject_id)
            connection.execute(delete(passkey_challenges).where(passkey_challenges.c.expires_at <= now))
            nonce = secrets.token_bytes(NONCE_BYTES)
            expires_at = now + self.policy.challenge_seconds
            ceremony_id = CHALLENGE_PREFIX + secrets.token_hex(16)
            connection.execute(
                insert(passkey_challenges).values(
                    id=ceremony_id,
                    subject_id=subject_id,
                    purpose=binding.purpose,
                    reference=binding.reference,
                    amount=binding.amount,
                    currency=binding.currency,
                    payee=binding.payee,
                    nonce=nonce,
                    expires_at=expires_at,
                )
            )
        options = webauthn.generate_authentication_options(
            rp_id=self.policy.rp_id,
            challenge=challenge_for(subject_id, binding, nonce, expires_at),
            timeout=self.policy.challenge_seconds * 1000,
            allow_credentials=allowed,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return CeremonyOptions(ceremony_id, json.loads(webauthn.options_to_json(options)), expires_at)

    def verify(self, subject_id: str, binding: PaymentBinding, answer: PasskeyAssertion) -> None:
        """The assertion answers a challenge issued to `subject_id` for `binding`, as the payment is now;
        `PasskeyRefused` naming the field otherwise. The challenge is spent either way."""
        now = self.clock()
        with self.engine.begin() as connection:
            row = connection.execute(
                update(passkey_challenges)
                .where(
                    passkey_challenges.c.id == answer.ceremony_id,
                    passkey_challenges.c.subject_id == subject_id,
                    passkey_challenges.c.purpose == binding.purpose,
                    passkey_challenges.c.reference == binding.reference,
                    passkey_challenges.c.used_at.is_(None),
                    passkey_challenges.c.expires_at > now,
                )
                .values(used_at=now)
                .returning(passkey_challenges)
            ).one_or_none()
        if row is None:
            raise PasskeyRefused(
                "the passkey challenge is unknown, expired, already used or not this payment's; ask for new "
                "options",
                field="ceremony_id",
            )
        for name in ("amount", "currency", "payee"):
            if getattr(row, name) != getattr(binding, name):
                raise PasskeyRefused(
                    f"the payment's {name} changed since its passkey challenge was issued; ask again",
                    field=name,
                )
        challenge = challenge_for(subject_id, binding, bytes(row.nonce), row.expires_at)
        try:
            with self.engine.begin() as connection:
                verify_assertion(
                    connection,
                    self.policy,
                    challenge,
                    answer.credential,
                    now,
                    subject_id=subject_id,
                    require_user_verification=True,
                )
        except CeremonyRefused as error:
            raise PasskeyRefused(error.detail, field=error.field or "credential") from None
