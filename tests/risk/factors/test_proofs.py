"""Factor proofs on SQLite and PostgreSQL: issued for a subject, purpose and challenge, consumed once, and
refused when forged, altered, expired, spent, or presented for anything else; and the factor-change rule
built on them (a recent sign-in or a proof for that very change)."""

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from custody.keystore.sealed_box import read_key_file
from risk.factors import proofs
from risk.factors.changes import ChangeAction, ChangeNotAuthorized, ChangePolicy, authorize_change
from risk.factors.model import Factor
from risk.factors.proofs import ProofRefused, ProofSigner
from risk.factors.schema import proofs as proof_rows
from tests.helpers.policy import Clock
from tests.risk.factors.conftest import OTHER_SUBJECT, SUBJECT

PURPOSE, CHALLENGE = "payment", "pi_0123456789abcdef"


@pytest.fixture
def signer(key_file: Path) -> ProofSigner:
    return ProofSigner.from_kek(read_key_file(key_file, "factor"))


def _issue(engine: Engine, signer: ProofSigner, now: int, ttl: int = 300) -> proofs.FactorProof:
    with engine.begin() as connection:
        return proofs.issue(connection, signer, SUBJECT, Factor.TOTP, PURPOSE, CHALLENGE, now, ttl)


def _consume(
    engine: Engine,
    signer: ProofSigner,
    token: str,
    now: int,
    *,
    subject_id: str = SUBJECT,
    purpose: str = PURPOSE,
    challenge: str = CHALLENGE,
) -> proofs.ConsumedProof:
    with engine.begin() as connection:
        return proofs.consume(
            connection, signer, token, subject_id=subject_id, purpose=purpose, challenge=challenge, now=now
        )


def test_a_proof_is_consumed_once_by_its_subject_purpose_and_challenge(
    engine: Engine, signer: ProofSigner, clock: Clock
) -> None:
    issued = _issue(engine, signer, clock.now)
    assert issued.token.startswith(proofs.TOKEN_PREFIX)
    assert issued.token not in repr(issued)
    consumed = _consume(engine, signer, issued.token, clock.now + 10)
    assert (consumed.id, consumed.subject_id, consumed.factor) == (issued.id, SUBJECT, Factor.TOTP)
    with pytest.raises(ProofRefused) as refused:
        _consume(engine, signer, issued.token, clock.now + 11)
    assert refused.value.field == proofs.PROOF_FIELD


@pytest.mark.parametrize(
    "presented",
    [
        {"subject_id": OTHER_SUBJECT},
        {"purpose": "factor_change"},
        {"challenge": "pi_another"},
    ],
    ids=["another-subject", "another-purpose", "another-challenge"],
)
def test_a_proof_for_something_else_is_refused_and_stays_unspent(
    engine: Engine, signer: ProofSigner, clock: Clock, presented: dict[str, str]
) -> None:
    issued = _issue(engine, signer, clock.now)
    with pytest.raises(ProofRefused):
        _consume(engine, signer, issued.token, clock.now, **presented)
    assert _consume(engine, signer, issued.token, clock.now).id == issued.id


def test_an_expired_proof_is_refused_and_swept(engine: Engine, signer: ProofSigner, clock: Clock) -> None:
    issued = _issue(engine, signer, clock.now, ttl=60)
    with pytest.raises(ProofRefused):
        _consume(engine, signer, issued.token, clock.now + 60)
    with engine.begin() as connection:
        assert proofs.sweep_expired(connection, clock.now + 60) == 1
        assert connection.scalar(select(func.count()).select_from(proof_rows)) == 0


def _altered(token: str) -> str:
    """The token with its claims rewritten to another subject, the MAC kept."""
    payload, mac = token.removeprefix(proofs.TOKEN_PREFIX).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = OTHER_SUBJECT
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{proofs.TOKEN_PREFIX}{forged}.{mac}"


def test_forged_altered_and_malformed_tokens_are_refused(
    engine: Engine, signer: ProofSigner, clock: Clock
) -> None:
    issued = _issue(engine, signer, clock.now)
    other_key = ProofSigner(b"\x01" * 32)
    with pytest.raises(ProofRefused):
        _consume(engine, other_key, issued.token, clock.now)
    with pytest.raises(ProofRefused):
        _consume(engine, signer, _altered(issued.token), clock.now, subject_id=OTHER_SUBJECT)
    for malformed in ("", "tpwfp_", "tpwfp_a.b.c", "tpwfp_!!.??", issued.token[:-2], "x" * 2000):
        with pytest.raises(ProofRefused):
            _consume(engine, signer, malformed, clock.now)
    assert _consume(engine, signer, issued.token, clock.now).id == issued.id


def test_a_bad_purpose_or_challenge_is_not_issued(engine: Engine, signer: ProofSigner, clock: Clock) -> None:
    with engine.begin() as connection:
        for purpose, challenge in (("Payment", "x"), ("", "x"), ("payment", "a b"), ("payment", "x" * 129)):
            with pytest.raises(ValueError, match=r"purpose|challenge"):
                proofs.issue(connection, signer, SUBJECT, Factor.TOTP, purpose, challenge, clock.now)


def _authorize(
    engine: Engine, signer: ProofSigner, now: int, logged_in_at: int, token: str | None, factor: Factor
) -> str:
    with engine.begin() as connection:
        return authorize_change(
            connection,
            signer,
            ChangePolicy(recent_login_seconds=300),
            subject_id=SUBJECT,
            logged_in_at=logged_in_at,
            proof_token=token,
            action=ChangeAction.REVOKE,
            factor=factor,
            now=now,
        )


def test_a_factor_change_needs_a_recent_login_or_a_proof_for_that_change(
    engine: Engine, signer: ProofSigner, clock: Clock
) -> None:
    login = clock.now
    assert _authorize(engine, signer, login + 300, login, None, Factor.TOTP) == "recent_login"
    with pytest.raises(ChangeNotAuthorized) as refused:
        _authorize(engine, signer, login + 301, login, None, Factor.TOTP)
    assert "revoke:totp" in refused.value.detail
    with engine.begin() as connection:
        proof = proofs.issue(
            connection, signer, SUBJECT, Factor.PAYMENT_PASSWORD, "factor_change", "revoke:totp", login + 300
        )
    with pytest.raises(ProofRefused):  # a proof for revoking the TOTP does not revoke the password
        _authorize(engine, signer, login + 301, login, proof.token, Factor.PAYMENT_PASSWORD)
    assert _authorize(engine, signer, login + 301, login, proof.token, Factor.TOTP) == "factor_proof"
    with pytest.raises(ProofRefused):  # spent, and a bad proof is refused even within the login window
        _authorize(engine, signer, login + 1, login, proof.token, Factor.TOTP)
