"""/v1/auth/siwe: a wallet signs in once per nonce, for our domain and chains only; refusals are problem
documents naming the field."""

from sqlalchemy import select

from api.settings import ApiSettings
from risk.identity.schema import ethereum_addresses
from tests.api.identity.conftest import Browser, Clock, problem_fields
from tests.helpers.db import engine_on
from tests.risk.identity.conftest import iso


def test_a_wallet_signs_in_and_its_session_names_its_identity(
    browser: Browser, settings: ApiSettings
) -> None:
    session = browser.sign_in()
    assert session["token_type"] == "Bearer"
    assert session["access_token"].startswith("tpwat_")
    assert session["refresh_token"].startswith("tpwrt_")
    assert session["expires_at"] == browser.clock.now + settings.auth_access_token_seconds
    assert browser.whoami().json() == {
        "subject_id": session["subject_id"],
        "session_id": session["session_id"],
    }
    with engine_on(settings.database_url) as engine, engine.connect() as connection:
        owner = connection.execute(
            select(ethereum_addresses.c.subject_id).where(
                ethereum_addresses.c.address == browser.wallet.address
            )
        ).scalar()
    assert owner == session["subject_id"]
    again = browser.sign_in()
    assert again["subject_id"] == session["subject_id"]
    assert again["session_id"] != session["session_id"]


def test_a_replayed_login_is_refused_as_a_spent_nonce(browser: Browser) -> None:
    login = browser.signed_message()
    assert browser.client.post("/v1/auth/siwe/login", json=login).status_code == 200
    replay = browser.client.post("/v1/auth/siwe/login", json=login)
    assert replay.status_code == 401
    assert replay.json()["type"] == "urn:tpwallet:problem:login-refused"
    assert problem_fields(replay) == ["nonce"]


def test_a_message_for_another_domain_is_refused(browser: Browser) -> None:
    refused = browser.client.post("/v1/auth/siwe/login", json=browser.signed_message(domain="evil.example"))
    assert refused.status_code == 401
    assert problem_fields(refused) == ["domain"]


def test_a_message_for_another_chain_is_refused(browser: Browser) -> None:
    refused = browser.client.post("/v1/auth/siwe/login", json=browser.signed_message(chain_id=1))
    assert refused.status_code == 401
    assert problem_fields(refused) == ["chain_id"]


def test_an_expired_message_is_refused(browser: Browser, clock: Clock) -> None:
    login = browser.signed_message(expiration_time=iso(clock.now + 30))
    clock.now += 30
    refused = browser.client.post("/v1/auth/siwe/login", json=login)
    assert refused.status_code == 401
    assert problem_fields(refused) == ["expiration_time"]


def test_a_malformed_body_or_message_is_a_422_naming_the_field(browser: Browser) -> None:
    bad_signature = browser.client.post("/v1/auth/siwe/login", json={"message": "x", "signature": "0x12"})
    assert bad_signature.status_code == 422
    assert "signature" in str(bad_signature.json()["errors"])
    not_siwe = browser.client.post(
        "/v1/auth/siwe/login", json={"message": "hello", "signature": "0x" + "00" * 65}
    )
    assert not_siwe.status_code == 422
    assert problem_fields(not_siwe) == ["message"]


def test_without_a_session_key_file_sign_in_answers_503(browser: Browser, settings: ApiSettings) -> None:
    settings.auth_session_key_path.unlink()
    unavailable = browser.client.post("/v1/auth/siwe/nonce")
    assert unavailable.status_code == 503
    assert str(settings.auth_session_key_path) not in unavailable.text
