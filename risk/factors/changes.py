"""Who may change a subject's factors: a factor change is a sensitive change (issue 12, point 4), so a
stolen session alone must not add an attacker's authenticator or remove the owner's.

Every change (enrol a TOTP, set a payment password, regenerate recovery codes, revoke any factor) needs one
of two proofs of presence:

- a recent login: the session was signed in (SIWE or passkey, never merely refreshed) at most
  `ChangePolicy.recent_login_seconds` ago; or
- a factor proof (`risk.factors.proofs`) for purpose `factor_change` and the challenge naming this very
  change, ``<action>:<factor>`` (`change_challenge`), e.g. ``revoke:totp`` — the subject verified one of its
  factors just now for this change, and the proof is spent by it.

A subject with no factor yet can only use the first (there is nothing to verify): enrolling the first factor
has to follow a sign-in.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import Connection

from risk.errors import RiskError
from risk.factors import proofs
from risk.factors.model import Factor
from risk.factors.proofs import ProofSigner

PURPOSE: Final = "factor_change"
DEFAULT_RECENT_LOGIN_SECONDS: Final = 300


class ChangeAction(StrEnum):
    ENROL = "enrol"
    REVOKE = "revoke"


class ChangeNotAuthorized(RiskError):
    """Neither a recent login nor a valid factor proof for this change; `field` names the proof's input."""


@dataclass(frozen=True)
class ChangePolicy:
    """How recent a sign-in lets a session change factors without a factor proof."""

    recent_login_seconds: int = DEFAULT_RECENT_LOGIN_SECONDS

    def __post_init__(self) -> None:
        if self.recent_login_seconds < 0:
            raise ValueError("recent_login_seconds must not be negative")


def change_challenge(action: ChangeAction, factor: Factor) -> str:
    """The challenge a factor proof for this change carries: ``<action>:<factor>``."""
    return f"{action.value}:{factor.value}"


def authorize_change(
    connection: Connection,
    signer: ProofSigner,
    policy: ChangePolicy,
    *,
    subject_id: str,
    logged_in_at: int,
    proof_token: str | None,
    action: ChangeAction,
    factor: Factor,
    now: int,
    field: str = proofs.PROOF_FIELD,
) -> str:
    """How the change is authorized: ``"factor_proof"`` (the proof is spent in the caller's transaction) or
    ``"recent_login"``; `ChangeNotAuthorized` (or `proofs.ProofRefused` for a bad proof) naming `field`.

    A proof, when given, is always checked and spent, even if the login is recent: a client that sends one
    means it, and a bad one is refused rather than ignored."""
    if proof_token is not None:
        proofs.consume(
            connection,
            signer,
            proof_token,
            subject_id=subject_id,
            purpose=PURPOSE,
            challenge=change_challenge(action, factor),
            now=now,
            field=field,
        )
        return "factor_proof"
    if 0 <= now - logged_in_at <= policy.recent_login_seconds:
        return "recent_login"
    raise ChangeNotAuthorized(
        f"changing factors needs a sign-in within {policy.recent_login_seconds} s, or a factor proof for "
        f"purpose {PURPOSE!r} and challenge {change_challenge(action, factor)!r}",
        field=field,
    )
