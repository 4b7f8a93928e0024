"""Issue 12, point 9: passkeys in a real browser. Headless Chromium opens the API's passkey page, its virtual
authenticator creates a passkey for a customer signed in with Ethereum, and the customer signs in with it;
the same passkey used on a page of another origin, or cloned with its sign counter set back, is refused by
the server."""

import base64
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Site, Tab

pytestmark = pytest.mark.browser

SETTLED = "#status:not([data-state='pending']):not([data-state='ready']):not([data-state=''])"
VERIFY = "/v1/auth/passkeys/authentication/verify"


def _outcome(page: Page) -> tuple[str, str]:
    """The page's state and message once its ceremony has ended."""
    status = page.wait_for_selector(SETTLED)
    assert status is not None
    return str(status.get_attribute("data-state")), status.inner_text()


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#status[data-state='ready']", state="attached")


def _register(tab: Tab, site: Site, access_token: str) -> str:
    """Create a passkey on the page for the session of `access_token`; its credential id (base64url)."""
    _open(tab.page, site.page_url)
    tab.page.fill("#access-token", access_token)
    tab.page.fill("#user-name", "alice")
    tab.page.click("#register")
    state, text = _outcome(tab.page)
    assert state == "registered", text
    (credential,) = tab.authenticator.credentials()
    credential_id = (
        base64.urlsafe_b64encode(base64.b64decode(credential["credentialId"])).rstrip(b"=").decode()
    )
    assert credential_id in text
    return credential_id


def _sign_in(page: Page) -> tuple[tuple[str, str], Any]:
    """Press "Sign in with a passkey": the page's outcome, and the server's answer to the assertion."""
    with page.expect_response(lambda response: response.url.endswith(VERIFY)) as answer:
        page.click("#login")
    return _outcome(page), answer.value


def test_a_passkey_created_in_chromium_signs_its_owner_in(tab: Tab, site: Site) -> None:
    customer = site.sign_in_with_ethereum()
    _register(tab, site, customer["access_token"])
    (credential,) = tab.authenticator.credentials()
    assert credential["isResidentCredential"]
    assert credential["rpId"] == "localhost"

    _open(tab.page, site.page_url)
    (state, text), answer = _sign_in(tab.page)
    assert (state, answer.status) == ("signed-in", 200), text
    session = tab.page.evaluate("() => JSON.parse(sessionStorage.getItem('tpwallet.session'))")
    assert session["subject_id"] == customer["subject_id"]
    assert session["session_id"] != customer["session_id"]
    assert site.whoami(session["access_token"]).json()["subject_id"] == customer["subject_id"]
    assert tab.errors == []


def test_an_assertion_made_on_another_origin_is_refused_by_the_server(tab: Tab, site: Site) -> None:
    _register(tab, site, site.sign_in_with_ethereum()["access_token"])

    _open(tab.page, site.other_page_url)
    (state, text), answer = _sign_in(tab.page)
    assert (state, answer.status) == ("failed", 401), text
    problem = answer.json()
    assert problem["type"] == "urn:tpwallet:problem:passkey-refused"
    assert site.other_origin in problem["detail"]
    assert [error["field"] for error in problem["errors"]] == ["credential"]
    assert tab.page.evaluate("() => sessionStorage.getItem('tpwallet.session')") is None

    _open(tab.page, site.page_url)  # the same passkey, on its own origin, still signs in
    (state, text), answer = _sign_in(tab.page)
    assert (state, answer.status) == ("signed-in", 200), text


def test_a_cloned_passkey_whose_counter_went_back_is_refused(tab: Tab, site: Site) -> None:
    _register(tab, site, site.sign_in_with_ethereum()["access_token"])
    _open(tab.page, site.page_url)
    (state, text), _ = _sign_in(tab.page)
    assert state == "signed-in", text
    (original,) = tab.authenticator.credentials()
    assert original["signCount"] > 0

    tab.authenticator.replace({**original, "signCount": 0})
    _open(tab.page, site.page_url)
    (state, text), answer = _sign_in(tab.page)
    assert (state, answer.status) == ("failed", 401), text
    assert answer.json()["type"] == "urn:tpwallet:problem:passkey-refused"
    assert "sign count" in answer.json()["detail"]
