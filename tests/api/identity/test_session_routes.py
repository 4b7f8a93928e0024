"""Sessions over HTTP: refresh rotates, a stolen refresh token replayed revokes the session, logout and
expiry refuse the access token, a tampered token is refused, and session tokens and API keys never stand in
for each other."""

import base64
import json

from fastapi.testclient import TestClient

from api.auth import issue_api_key
from api.settings import ApiSettings
from tests.api.identity.conftest import Browser, Clock
from tests.helpers.db import session_on


def test_refreshing_rotates_the_tokens(browser: Browser, clock: Clock) -> None:
    first = browser.sign_in()
    clock.now += 60
    second = browser.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["session_id"] == first["session_id"]
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["expires_at"] == first["expires_at"] + 60
    assert browser.whoami(rotated["access_token"]).status_code == 200


def test_a_stolen_refresh_token_replayed_after_rotation_revokes_the_session(browser: Browser) -> None:
    stolen = browser.sign_in()["refresh_token"]
    legitimate = browser.client.post("/v1/auth/refresh", json={"refresh_token": stolen}).json()
    replay = browser.client.post("/v1/auth/refresh", json={"refresh_token": stolen})
    assert replay.status_code == 401
    assert replay.json()["type"] == "urn:tpwallet:problem:refresh-token-reused"
    assert browser.whoami(legitimate["access_token"]).status_code == 401
    after = browser.client.post("/v1/auth/refresh", json={"refresh_token": legitimate["refresh_token"]})
    assert after.status_code == 401


def test_a_logged_out_session_refuses_its_tokens_before_they_expire(browser: Browser) -> None:
    session = browser.sign_in()
    assert browser.client.post("/v1/auth/logout", headers=browser.bearer()).status_code == 204
    refused = browser.whoami()
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="tpwallet", error="invalid_token"'
    assert (
        browser.client.post("/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code
        == 401
    )


def test_an_expired_access_token_is_refused(browser: Browser, clock: Clock, settings: ApiSettings) -> None:
    browser.sign_in()
    clock.now += settings.auth_access_token_seconds - 1
    assert browser.whoami().status_code == 200
    clock.now += 1
    assert browser.whoami().status_code == 401


def _with_claims(token: str, **claims: str) -> str:
    """`token` with its claims changed and its MAC kept: what a thief who can edit but not sign sends."""
    encoded, mac = token.removeprefix("tpwat_").split(".")
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    payload.update(claims)
    edited = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"tpwat_{edited}.{mac}"


def test_a_stolen_session_of_another_customer_stays_theirs(client: TestClient, clock: Clock) -> None:
    alice, mallory = Browser(client, clock), Browser(client, clock)
    alice_session, mallory_session = alice.sign_in(), mallory.sign_in()
    # Mallory puts Alice's subject and session into her own token: the MAC no longer holds.
    forged = _with_claims(
        mallory_session["access_token"], sub=alice_session["subject_id"], sid=alice_session["session_id"]
    )
    assert mallory.whoami(forged).status_code == 401
    # Alice logs out: her access token, if stolen, serves nobody; Mallory's own session is untouched.
    assert alice.client.post("/v1/auth/logout", headers=alice.bearer()).status_code == 204
    assert mallory.whoami(alice_session["access_token"]).status_code == 401
    assert mallory.whoami().json()["subject_id"] == mallory_session["subject_id"]


def test_a_tampered_access_token_is_refused(browser: Browser) -> None:
    token = browser.sign_in()["access_token"]
    for claims in ({"exp": "99999999999"}, {"aud": "elsewhere"}):
        assert browser.whoami(_with_claims(token, **claims)).status_code == 401
    encoded, mac = token.split(".")
    other_mac = ("A" if mac[0] != "A" else "B") + mac[1:]
    assert browser.whoami(f"{encoded}.{other_mac}").status_code == 401


def test_session_tokens_and_api_keys_never_stand_in_for_each_other(
    browser: Browser, settings: ApiSettings
) -> None:
    browser.sign_in()
    with session_on(settings.database_url) as session:
        api_key = issue_api_key(session, "fx-reader", ["fx:read"]).token
        session.commit()
    assert browser.client.get("/v1/fx/quotes/fxq_nope", headers=browser.bearer()).status_code == 401
    assert browser.client.get("/v1/fx/quotes/fxq_nope", headers=browser.bearer(api_key)).status_code == 404
    assert browser.whoami(api_key).status_code == 401
    assert browser.client.get("/v1/auth/session").status_code == 401
