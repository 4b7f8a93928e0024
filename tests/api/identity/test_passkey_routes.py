"""/v1/auth/passkeys: a signed-in customer registers a passkey and later signs in with it; an assertion for
another origin, a challenge of another session, or a counter that went back are refused."""

from typing import Any

from fastapi.testclient import TestClient

from tests.api.identity.conftest import ORIGIN, RP_ID, Browser, Clock
from tests.helpers.soft_authenticator import SoftAuthenticator


def _register(browser: Browser, authenticator: SoftAuthenticator) -> dict[str, Any]:
    options = browser.client.post(
        "/v1/auth/passkeys/registration/options", json={"user_name": "alice"}, headers=browser.bearer()
    )
    assert options.status_code == 201, options.text
    ceremony = options.json()
    answer = {
        "ceremony_id": ceremony["ceremony_id"],
        "credential": authenticator.register(ceremony["options"], origin=ORIGIN),
    }
    verified = browser.client.post(
        "/v1/auth/passkeys/registration/verify", json=answer, headers=browser.bearer()
    )
    assert verified.status_code == 201, verified.text
    return dict(verified.json())


def _sign_in(
    client: TestClient, authenticator: SoftAuthenticator, *, origin: str = ORIGIN, advance: int = 1
) -> Any:
    options = client.post("/v1/auth/passkeys/authentication/options")
    assert options.status_code == 201, options.text
    ceremony = options.json()
    assertion = authenticator.get_assertion(ceremony["options"], origin=origin, rp_id=RP_ID, advance=advance)
    return client.post(
        "/v1/auth/passkeys/authentication/verify",
        json={"ceremony_id": ceremony["ceremony_id"], "credential": assertion},
    )


def test_a_passkey_registered_in_a_session_signs_its_owner_in(browser: Browser) -> None:
    subject = browser.sign_in()["subject_id"]
    authenticator = SoftAuthenticator()
    _register(browser, authenticator)
    signed_in = _sign_in(browser.client, authenticator)
    assert signed_in.status_code == 200, signed_in.text
    session = signed_in.json()
    assert session["subject_id"] == subject
    assert browser.whoami(session["access_token"]).json()["subject_id"] == subject


def test_an_assertion_for_another_origin_is_refused(browser: Browser) -> None:
    browser.sign_in()
    authenticator = SoftAuthenticator()
    _register(browser, authenticator)
    refused = _sign_in(browser.client, authenticator, origin="https://wallet.example.com.evil.io")
    assert refused.status_code == 401
    assert refused.json()["type"] == "urn:tpwallet:problem:passkey-refused"


def test_a_sign_counter_that_went_back_is_refused(browser: Browser) -> None:
    browser.sign_in()
    authenticator = SoftAuthenticator()
    _register(browser, authenticator)
    assert _sign_in(browser.client, authenticator, advance=3).status_code == 200
    assert _sign_in(browser.client, authenticator, advance=-1).status_code == 401


def test_a_registration_challenge_of_another_session_is_refused(client: TestClient, clock: Clock) -> None:
    alice, mallory = Browser(client, clock), Browser(client, clock)
    alice.sign_in()
    mallory.sign_in()
    options = client.post(
        "/v1/auth/passkeys/registration/options", json={"user_name": "alice"}, headers=alice.bearer()
    ).json()
    credential = SoftAuthenticator().register(options["options"], origin=ORIGIN)
    refused = client.post(
        "/v1/auth/passkeys/registration/verify",
        json={"ceremony_id": options["ceremony_id"], "credential": credential},
        headers=mallory.bearer(),
    )
    assert refused.status_code == 401
    assert [error["field"] for error in refused.json()["errors"]] == ["ceremony_id"]


def test_a_failed_answer_spends_its_challenge(browser: Browser) -> None:
    browser.sign_in()
    authenticator = SoftAuthenticator()
    _register(browser, authenticator)
    ceremony = browser.client.post("/v1/auth/passkeys/authentication/options").json()
    phished = authenticator.get_assertion(ceremony["options"], origin="https://evil.io", rp_id=RP_ID)
    body = {"ceremony_id": ceremony["ceremony_id"], "credential": phished}
    assert browser.client.post("/v1/auth/passkeys/authentication/verify", json=body).status_code == 401
    honest = authenticator.get_assertion(ceremony["options"], origin=ORIGIN, rp_id=RP_ID)
    retried = browser.client.post(
        "/v1/auth/passkeys/authentication/verify",
        json={"ceremony_id": ceremony["ceremony_id"], "credential": honest},
    )
    assert retried.status_code == 401
    assert [error["field"] for error in retried.json()["errors"]] == ["ceremony_id"]


def test_registering_a_passkey_needs_a_session(client: TestClient) -> None:
    refused = client.post("/v1/auth/passkeys/registration/options", json={"user_name": "alice"})
    assert refused.status_code == 401
