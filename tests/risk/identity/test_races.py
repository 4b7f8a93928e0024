"""What single use means under concurrency: one SIWE message replayed by several requests at once signs in
once, and one refresh token presented by several at once rotates once (the others revoke the family)."""

import threading

from sqlalchemy import Engine, func, select

from risk.identity import identities, sessions, siwe_login
from risk.identity.errors import IdentityError, RefreshTokenReused
from risk.identity.schema import identities as identities_table
from risk.identity.schema import sessions as sessions_table
from risk.identity.sessions import SessionPolicy
from risk.identity.siwe_login import SiwePolicy
from risk.identity.tokens import TokenSigner
from tests.helpers.threads import run_concurrently
from tests.risk.identity.conftest import START, Wallet

RACERS = 6


def test_one_message_replayed_at_once_signs_in_once(
    engine: Engine, siwe_policy: SiwePolicy, signer: TokenSigner, policy: SessionPolicy, wallet: Wallet
) -> None:
    with engine.begin() as connection:
        nonce = siwe_login.issue_nonce(connection, siwe_policy, START).nonce
    message = wallet.message(nonce, START)
    signature = wallet.sign(message)
    outcomes: list[str] = []
    lock = threading.Lock()

    def login() -> None:
        try:
            with engine.begin() as connection:
                verified = siwe_login.verify_message(siwe_policy, message, signature, START)
                siwe_login.spend_nonce(connection, verified.nonce, START)
                subject = identities.identity_of_address(connection, verified.address, START)
                sessions.start_session(connection, signer, policy, subject.id, "siwe", START)
            outcome = "signed in"
        except IdentityError as error:
            outcome = type(error).__name__
        with lock:
            outcomes.append(outcome)

    run_concurrently(login, RACERS)
    assert sorted(outcomes) == ["LoginRefused"] * (RACERS - 1) + ["signed in"]
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(sessions_table)).scalar() == 1
        assert connection.execute(select(func.count()).select_from(identities_table)).scalar() == 1


def test_one_refresh_token_presented_at_once_rotates_once_and_revokes_the_family(
    engine: Engine, signer: TokenSigner, policy: SessionPolicy
) -> None:
    with engine.begin() as connection:
        subject = identities.create_identity(connection, "customer", START)
        issued = sessions.start_session(connection, signer, policy, subject.id, "siwe", START)
    rotated: list[str] = []
    reused: list[str] = []
    lock = threading.Lock()

    def present() -> None:
        try:
            with engine.begin() as connection:
                try:
                    fresh = sessions.refresh(connection, signer, policy, issued.refresh_token, START + 1)
                except RefreshTokenReused as error:
                    with lock:
                        reused.append(error.detail)
                    return
            with lock:
                rotated.append(fresh.refresh_token)
        except IdentityError:  # the session was revoked by a racer that saw the reuse first
            with lock:
                reused.append("refused")

    run_concurrently(present, RACERS)
    assert len(rotated) <= 1
    assert len(rotated) + len(reused) == RACERS
    with engine.connect() as connection:
        revoked = connection.execute(
            select(sessions_table.c.revoked_reason).where(sessions_table.c.id == issued.session_id)
        ).scalar()
    assert revoked == "refresh_reuse"


def test_first_logins_of_one_address_at_once_make_one_identity(engine: Engine, wallet: Wallet) -> None:
    subjects: list[str] = []
    lock = threading.Lock()

    def first_login() -> None:
        with engine.begin() as connection:
            subject = identities.identity_of_address(connection, wallet.address, START).id
        with lock:
            subjects.append(subject)

    run_concurrently(first_login, RACERS)
    assert len(subjects) == RACERS
    assert len(set(subjects)) == 1
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(identities_table)).scalar() == 1
