"""`TPW-Signature`: the exact format, and every refusal of `verify` (forgery, replay, stale, future)."""

import hmac

import pytest
from sqlalchemy.orm import Session, sessionmaker

from payments.webhooks import signing
from payments.webhooks.replays import SqlReplayStore
from payments.webhooks.signing import (
    MalformedSignature,
    MissingSignature,
    ReplayedSignature,
    StaleTimestamp,
    WrongSignature,
    sign,
    signature_header,
    verify,
)

SECRET = "whsec_known_answer_secret"
OTHER = "whsec_another_secret"
T = 1_700_000_000
BODY = b'{"id":"evt_1","type":"payment_intent.succeeded"}'
# printf '1700000000.{"id":"evt_1","type":"payment_intent.succeeded"}' | openssl dgst -sha256 -hmac SECRET
KNOWN = "777ece56ac8cc8ff1c0d130fa11c48026caa1661ffcd4470d7d1b41616260cfe"


def test_the_signature_is_hmac_sha256_of_t_dot_body_known_answer():
    assert sign(SECRET, T, BODY) == KNOWN
    assert signature_header([SECRET], T, BODY) == f"t={T},v1={KNOWN}"


def test_a_rotation_signs_with_every_valid_secret_in_order():
    assert signature_header([OTHER, SECRET], T, BODY) == f"t={T},v1={sign(OTHER, T, BODY)},v1={KNOWN}"


def test_a_valid_signature_is_accepted_with_any_of_the_receivers_secrets():
    header = signature_header([OTHER, SECRET], T, BODY)
    assert verify(header, BODY, [SECRET], now=T) == T
    assert verify(f"t={T},v1={KNOWN}", BODY, ["whsec_stale", SECRET], now=T + 300) == T


def test_the_signature_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch):
    calls: list[tuple[str, str]] = []
    compare = hmac.compare_digest

    def recording(a: str, b: str) -> bool:
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", recording)
    verify(f"t={T},v1={KNOWN}", BODY, [SECRET], now=T)
    assert calls == [(KNOWN, KNOWN)]


@pytest.mark.parametrize(
    ("header", "body", "secret"),
    [
        (f"t={T},v1={KNOWN}", BODY, OTHER),  # signed with a secret we do not hold
        (f"t={T},v1={KNOWN}", BODY + b" ", SECRET),  # body altered
        (f"t={T + 1},v1={KNOWN}", BODY, SECRET),  # timestamp altered
        (f"t={T},v1={'0' * 64}", BODY, SECRET),
        (f"t={T},v0={KNOWN},v1={'f' * 64}", BODY, SECRET),  # only a v1 counts
    ],
    ids=["other-secret", "body", "timestamp", "zeros", "v0-ignored"],
)
def test_a_forgery_is_refused(header: str, body: bytes, secret: str):
    with pytest.raises(WrongSignature):
        verify(header, body, [secret], now=T)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_header_is_refused(header: str | None):
    with pytest.raises(MissingSignature):
        verify(header, BODY, [SECRET], now=T)


@pytest.mark.parametrize(
    "header",
    [
        f"v1={KNOWN}",
        f"t={T}",
        f"t=,v1={KNOWN}",
        f"t=-5,v1={KNOWN}",
        f"t=1e9,v1={KNOWN}",
        f"t={T},t={T},v1={KNOWN}",
        f"t={T},v1={KNOWN.upper()}",
        f"t={T},v1={KNOWN[:-1]}",
        f"t={T};v1={KNOWN}",
        f"t={T},v1={KNOWN}," + "x" * 5000,
    ],
)
def test_a_malformed_header_is_refused(header: str):
    with pytest.raises(MalformedSignature):
        verify(header, BODY, [SECRET], now=T)


@pytest.mark.parametrize("skew", [-301, 301, -(10**6), 10**6], ids=["stale", "future", "old", "far-future"])
def test_a_timestamp_outside_the_tolerance_is_refused(skew: int):
    with pytest.raises(StaleTimestamp):
        verify(f"t={T},v1={KNOWN}", BODY, [SECRET], now=T - skew)


def test_a_tighter_tolerance_is_honoured():
    with pytest.raises(StaleTimestamp):
        verify(f"t={T},v1={KNOWN}", BODY, [SECRET], tolerance=10, now=T + 11)


def test_a_replay_is_refused_even_with_signatures_dropped(sessions: sessionmaker[Session]):
    header = signature_header([OTHER, SECRET], T, BODY)
    with sessions() as session:
        store = SqlReplayStore(session, "rail:bank")
        assert verify(header, BODY, [SECRET, OTHER], now=T, replays=store) == T
        session.commit()
    with sessions() as session:
        store = SqlReplayStore(session, "rail:bank")
        for replayed in (header, f"t={T},v1={KNOWN}", f"t={T},v1={sign(OTHER, T, BODY)}"):
            with pytest.raises(ReplayedSignature):
                verify(replayed, BODY, [SECRET, OTHER], now=T + 1, replays=store)
        # Another sender's scope is another store; a forgery never reaches the store.
        assert verify(header, BODY, [SECRET], now=T, replays=SqlReplayStore(session, "rail:card")) == T
        with pytest.raises(WrongSignature):
            verify(f"t={T},v1={'a' * 64}", BODY, [SECRET], now=T, replays=store)


def test_a_rolled_back_acceptance_is_forgotten_and_expired_pairs_are_swept(sessions: sessionmaker[Session]):
    header = f"t={T},v1={KNOWN}"
    with sessions() as session:
        verify(header, BODY, [SECRET], now=T, replays=SqlReplayStore(session, "rail:bank"))
        session.rollback()  # the webhook's handling failed: its sender retries, and we accept the retry
    with sessions() as session:
        verify(header, BODY, [SECRET], now=T, replays=SqlReplayStore(session, "rail:bank"))
        session.commit()
    later = T + 301
    fresh = signature_header([SECRET], later, BODY)
    with sessions() as session:
        store = SqlReplayStore(session, "rail:bank")
        verify(fresh, BODY, [SECRET], now=later, replays=store)
        session.commit()
        with pytest.raises(StaleTimestamp):  # past its expiry the pair is refused by its age
            verify(header, BODY, [SECRET], now=later, replays=store)
        assert store.first_use(T, [KNOWN], T + 300, later)  # swept: the row was gone
