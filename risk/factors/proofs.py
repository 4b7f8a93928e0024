"""Factor proofs: a short-lived, signed, single-use token saying "this subject just verified this factor, for
this purpose and challenge". How a verified factor reaches whatever asked for it (a step-up, a sensitive
change) without that consumer re-checking a code the subject typed once.

Interface (for the other consumers, e.g. a payment's step-up):

- `issue(connection, signer, subject_id, factor, purpose, challenge, now, ttl_seconds)` is called by the
  factors API right after a successful verification; it stores the proof's row and returns a `FactorProof`
  whose `token` goes to the client once.
- `consume(connection, signer, token, subject_id=..., purpose=..., challenge=..., now=...)` is called by the
  consumer, inside the transaction that does what the proof authorizes (so the proof is spent if and only if
  the action commits). It returns the `ConsumedProof` (which factor was verified, when) or raises
  `ProofRefused` naming `field` (the caller's name for where the token came from, `factor_proof` by default).
- `purpose` is a short lower-case word naming the kind of action (`payment`, `factor_change`, ...);
  `challenge` names the very thing authorized (a payment intent id, `revoke:totp`): a proof for one intent
  or one change is refused for any other, and by any other subject.

A token is ``tpwfp_<payload>.<mac>``, both base64url: the payload is the JSON of the claims (`v`, `id`,
`sub`, `fac`, `pur`, `chl`, `iat`, `exp`), the MAC is HMAC-SHA256 over ``TPW-FACTOR-PROOF-v1\\n`` and the
payload, under a key derived (HKDF, its own salt) from the factors' key file, so it is domain-separated from
every other signature of the system. The MAC refuses a forged or altered token before the database is read;
the row (`schema.proofs`) makes it single-use: `consume` spends it by a conditional UPDATE (`used_at IS
NULL`) that matches every claim again, so two consumers racing cannot both pass. Tokens are never stored:
the row holds the claims, not the MAC.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection, delete, insert, update

from custody.keystore.unlock import Kek
from risk.errors import RiskError
from risk.factors.model import Factor
from risk.factors.schema import proofs

TOKEN_PREFIX: Final = "tpwfp_"  # noqa: S105 - the public prefix of a proof token, not a secret
DOMAIN: Final = b"TPW-FACTOR-PROOF-v1\n"
HKDF_SALT: Final = b"tpwallet/risk-factor-proofs/v1"
VERSION: Final = 1
ID_PREFIX: Final = "fpr_"
DEFAULT_TTL_SECONDS: Final = 300
MAX_TOKEN_LENGTH: Final = 1024
PURPOSE_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")
CHALLENGE_PATTERN: Final = re.compile(r"[A-Za-z0-9_.:-]{0,128}")
PROOF_FIELD: Final = "factor_proof"


class ProofRefused(RiskError):
    """The token proves nothing here: malformed, forged, expired, spent, or issued for another subject,
    purpose or challenge. One message for all of them (a prober learns nothing of which)."""


@dataclass(frozen=True)
class FactorProof:
    """A proof as issued: its claims, and the token shown to the client this once."""

    id: str
    subject_id: str
    factor: Factor
    purpose: str
    challenge: str
    issued_at: int
    expires_at: int
    token: str = field(repr=False)


@dataclass(frozen=True)
class ConsumedProof:
    """What a spent proof proved: `subject_id` verified `factor` at `issued_at`."""

    id: str
    subject_id: str
    factor: Factor
    issued_at: int


class ProofSigner:
    """HMAC-SHA256 under the proofs' key; the key is never shown by `repr`."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a proof key is at least 32 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "ProofSigner(<key redacted>)"

    @classmethod
    def from_kek(cls, kek: Kek) -> "ProofSigner":
        """The signer whose key HKDF derives from the factors' key file under the proofs' own salt."""
        return cls(kek.derive(HKDF_SALT))

    def mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, DOMAIN + payload, hashlib.sha256).digest()


def check_purpose(purpose: str, challenge: str) -> None:
    """ValueError unless `purpose` and `challenge` have the shapes the module documents."""
    if not PURPOSE_PATTERN.fullmatch(purpose):
        raise ValueError("purpose must be 1-32 characters of [a-z0-9_], starting with a letter")
    if not CHALLENGE_PATTERN.fullmatch(challenge):
        raise ValueError("challenge must be at most 128 characters of [A-Za-z0-9_.:-]")


def issue(
    connection: Connection,
    signer: ProofSigner,
    subject_id: str,
    factor: Factor,
    purpose: str,
    challenge: str,
    now: int,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> FactorProof:
    """A new proof that `subject_id` verified `factor` at `now`, for `purpose` and `challenge`, valid for
    `ttl_seconds`; its row is written in the caller's transaction."""
    check_purpose(purpose, challenge)
    if ttl_seconds < 1:
        raise ValueError("ttl_seconds must be positive")
    proof_id = ID_PREFIX + secrets.token_hex(12)
    expires_at = now + ttl_seconds
    claims = {
        "v": VERSION,
        "id": proof_id,
        "sub": subject_id,
        "fac": factor.value,
        "pur": purpose,
        "chl": challenge,
        "iat": now,
        "exp": expires_at,
    }
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    token = f"{TOKEN_PREFIX}{_b64(payload)}.{_b64(signer.mac(payload))}"
    connection.execute(
        insert(proofs).values(
            id=proof_id,
            subject_id=subject_id,
            factor=factor.value,
            purpose=purpose,
            challenge=challenge,
            issued_at=now,
            expires_at=expires_at,
            used_at=None,
        )
    )
    return FactorProof(proof_id, subject_id, factor, purpose, challenge, now, expires_at, token)


def consume(
    connection: Connection,
    signer: ProofSigner,
    token: str,
    *,
    subject_id: str,
    purpose: str,
    challenge: str,
    now: int,
    field: str = PROOF_FIELD,
) -> ConsumedProof:
    """Spend `token` in the caller's transaction if it is a live proof of `subject_id` for exactly `purpose`
    and `challenge`; `ProofRefused` naming `field` otherwise (nothing written)."""
    claims = _verified_claims(signer, token, field)
    refused = ProofRefused("the factor proof is not valid for this request", field=field)
    expected = (subject_id, purpose, challenge)
    if (claims.get("sub"), claims.get("pur"), claims.get("chl")) != expected:
        raise refused
    proof_id, issued_at, expires_at = claims.get("id"), claims.get("iat"), claims.get("exp")
    if not isinstance(proof_id, str) or not isinstance(issued_at, int) or not isinstance(expires_at, int):
        raise refused
    if now >= expires_at:
        raise refused
    try:
        factor = Factor(str(claims.get("fac")))
    except ValueError:
        raise refused from None
    spent = connection.execute(
        update(proofs)
        .where(
            proofs.c.id == proof_id,
            proofs.c.subject_id == subject_id,
            proofs.c.factor == factor.value,
            proofs.c.purpose == purpose,
            proofs.c.challenge == challenge,
            proofs.c.expires_at > now,
            proofs.c.used_at.is_(None),
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        raise refused
    return ConsumedProof(proof_id, subject_id, factor, issued_at)


def sweep_expired(connection: Connection, now: int) -> int:
    """Delete the proofs expired before `now` (spent or not: either way they prove nothing any more)."""
    return connection.execute(delete(proofs).where(proofs.c.expires_at <= now)).rowcount


def _verified_claims(signer: ProofSigner, token: str, field: str) -> dict[str, Any]:
    refused = ProofRefused("the factor proof is not valid for this request", field=field)
    if len(token) > MAX_TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX) or token.count(".") != 1:
        raise refused
    encoded_payload, encoded_mac = token.removeprefix(TOKEN_PREFIX).split(".")
    try:
        payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
    except (binascii.Error, ValueError):
        raise refused from None
    if not hmac.compare_digest(mac, signer.mac(payload)):
        raise refused
    claims = json.loads(payload)  # our own JSON: the MAC matched
    if not isinstance(claims, dict) or claims.get("v") != VERSION:
        raise refused
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
