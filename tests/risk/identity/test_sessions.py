"""Sessions: access tokens hold only while their MAC, audience, expiry and session hold; refresh tokens
rotate, and a reused one revokes its whole family."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from risk.identity import identities, sessions
from risk.identity.errors import RefreshTokenReused, SessionRefused
from risk.identity.schema import refresh_tokens
from risk.identity.sessions import IssuedSession, SessionPolicy
from risk.identity.tokens import AccessClaims, TokenSigner
from tests.risk.identity.conftest import START


def _start(engine: Engine, signer: TokenSigner, policy: SessionPolicy) -> IssuedSession:
    with engine.begin() as connection:
        subject = identities.create_identity(connection, "customer", START)
        return sessions.start_session(connection, signer, policy, subject.id, "siwe", START)


def _authenticate(engine: Engine, signer: TokenSigner, policy: SessionPolicy, token: str, now: int) -> str:
    with engine.connect() as connection:
        return sessions.authenticate(connection, signer, policy, token, now).subject_id


def _refresh(
    engine: Engine, signer: TokenSigner, policy: SessionPolicy, token: str, now: int
) -> IssuedSession:
    """As the API does it: a reuse's revocation is committed although the refresh is refused."""
    with engine.begin() as connection:
        try:
            return sessions.refresh(connection, signer, policy, token, now)
        except RefreshTokenReused as error:
            reused = error
    raise reused


def test_an_access_token_proves_its_subject_until_it_expires(
    engine: Engine, signer: TokenSigner, policy: SessionPolicy
) -> None:
    issued = _start(engine, signer, policy)
    assert _authenticate(engine, signer, policy, issued.access_token, START + 899) == issued.subject_id
    with pytest.raises(SessionRefused):
        _authenticate(engine, signer, policy, issued.access_token, START + 900)


def test_refreshing_rotates_and_a_reused_token_revokes_the_family(
    engine: Engine, signer: TokenSigner, policy: SessionPolicy
) -> None:
    issued = _start(engine, signer, policy)
    second = _refresh(engine, signer, policy, issued.refresh_token, START + 60)
    assert second.refresh_token != issued.refresh_token
    assert second.session_id == issued.session_id
    third = _refresh(engine, signer, policy, second.refresh_token, START + 120)
    with pytest.raises(RefreshTokenReused):  # the thief replays a stolen, already rotated token
        _refresh(engine, signer, policy, issued.refresh_token, START + 180)
    with pytest.raises(SessionRefused):  # and the family is gone: the latest token too
        _refresh(engine, signer, policy, third.refresh_token, START + 181)
    with pytest.raises(SessionRefused):  # and every access token before it expires
        _authenticate(engine, signer, policy, third.access_token, START + 182)


def test_a_revoked_session_refuses_its_access_token_before_expiry(
    engine: Engine, signer: TokenSigner, policy: SessionPolicy
) -> None:
    issued = _start(engine, signer, policy)
    with engine.begin() as connection:
        sessions.revoke(connection, issued.session_id, START + 5)
    with pytest.raises(SessionRefused):
        _authenticate(engine, signer, policy, issued.access_token, START + 6)
    with pytest.raises(SessionRefused):
        _refresh(engine, signer, policy, issued.refresh_token, START + 6)


def test_an_unknown_refresh_token_is_refused(
    engine: Engine, signer: TokenSigner, policy: SessionPolicy
) -> None:
    _start(engine, signer, policy)
    with pytest.raises(SessionRefused) as refused:
        _refresh(engine, signer, policy, "tpwrt_" + "A" * 43, START)
    assert refused.value.field == "refresh_token"


def test_refreshing_never_outlives_the_session(
    engine: Engine, signer: TokenSigner, policy: SessionPolicy
) -> None:
    issued = _start(engine, signer, policy)
    late = _refresh(engine, signer, policy, issued.refresh_token, START + policy.session_seconds - 60)
    assert late.access_expires_at == START + policy.session_seconds
    with pytest.raises(SessionRefused):
        _refresh(engine, signer, policy, late.refresh_token, START + policy.session_seconds)


def test_only_a_digest_of_the_refresh_token_is_stored(
    engine: Engine, signer: TokenSigner, policy: SessionPolicy
) -> None:
    issued = _start(engine, signer, policy)
    with engine.connect() as connection:
        stored = connection.execute(select(refresh_tokens.c.digest)).scalars().all()
    assert len(stored) == 1
    assert issued.refresh_token not in stored[0]
    assert issued.refresh_token[6:] not in stored[0]


def test_a_token_for_another_audience_or_under_another_key_is_refused(
    engine: Engine, signer: TokenSigner, policy: SessionPolicy
) -> None:
    issued = _start(engine, signer, policy)
    claims = AccessClaims(issued.subject_id, issued.session_id, "tpwallet", START, START + 900)
    with pytest.raises(SessionRefused):
        _authenticate(engine, TokenSigner(bytes(32)), policy, issued.access_token, START)
    other_audience = SessionPolicy(audience="elsewhere")
    with pytest.raises(SessionRefused):
        _authenticate(engine, signer, other_audience, issued.access_token, START)
    forged = TokenSigner(bytes(32)).issue(claims)
    with pytest.raises(SessionRefused):
        _authenticate(engine, signer, policy, forged, START)


KEY = bytes(range(32))


@given(position=st.integers(min_value=0), replacement=st.sampled_from("AQgw_-"))
def test_any_altered_character_of_a_token_is_refused(position: int, replacement: str) -> None:
    signer = TokenSigner(KEY)
    token = signer.issue(AccessClaims("idn_" + "a" * 32, "ses_" + "b" * 32, "tpwallet", START, START + 900))
    index = len("tpwat_") + position % (len(token) - len("tpwat_"))
    altered = token[:index] + replacement + token[index + 1 :]
    if altered == token:
        return
    try:
        claims = signer.verify(altered, audience="tpwallet", now=START)
    except SessionRefused:
        return
    # base64url's last character carries spare bits: an alteration there may decode to the same bytes
    assert claims == signer.verify(token, audience="tpwallet", now=START)


def test_an_api_key_is_not_a_session_token(signer: TokenSigner) -> None:
    with pytest.raises(SessionRefused):
        signer.verify("tpw_0123456789abcdef_" + "A" * 43, audience="tpwallet", now=START)
