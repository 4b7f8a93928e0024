"""The risk e2e tests' fixtures: the app with a session key, a factor key and a clock the test moves, the
scripted card rail, an onboarded merchant (country DE), operators with keys, and signed-in customers whose
KYC tier and factors are set through the domain (the `/v1/factors` routes are not these tests' subject).
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.auth import Scope, issue_api_key
from api.settings import ApiSettings
from payments.intents.model import RailKind
from risk.factors.lockout import LockoutPolicy
from risk.factors.passwords import PaymentPassword
from risk.factors.sealing import SecretBox
from risk.factors.totp import TotpFactor
from risk.kyc.assignments import Tiers
from risk.kyc.tiers import Tier
from tests.api.identity.conftest import ORIGIN, Browser, Clock
from tests.api.identity.conftest import app as app
from tests.api.identity.conftest import client as client
from tests.api.identity.conftest import clock as clock
from tests.api.identity.conftest import settings as identity_settings  # noqa: F401  (fixture)
from tests.api.merchants.conftest import Caller, Onboarded, onboard
from tests.helpers.db import session_on
from tests.helpers.soft_authenticator import SoftAuthenticator
from tests.payments.intents.conftest import ScriptedRail

INTENTS = "/v1/payment-intents"
TOTP_STEP = 30


@pytest.fixture
def settings(identity_settings: ApiSettings, tmp_path: Path) -> ApiSettings:  # noqa: F811
    key = tmp_path / "risk" / "factors.key"
    key.parent.mkdir()
    key.write_text(secrets.token_hex(32))
    key.chmod(0o600)
    return identity_settings.model_copy(update={"factor_key_path": key})


@pytest.fixture
def rail(app: FastAPI, client: TestClient) -> ScriptedRail:
    rail = ScriptedRail()
    app.state.payment_rails = {RailKind.CARD: rail}
    return rail


OperatorFactory = Callable[..., Caller]


@pytest.fixture
def operator(client: TestClient, settings: ApiSettings) -> OperatorFactory:
    def make(*scopes: Scope) -> Caller:
        with session_on(settings.database_url) as session:
            return Caller(client, issue_api_key(session, "operator", scopes).token)

    return make


@pytest.fixture
def merchant(client: TestClient, operator: OperatorFactory, rail: ScriptedRail) -> Onboarded:
    return onboard(client, operator("merchants:admin"), "Acme")


@dataclass
class Customer:
    """A signed-in customer, with the domain's handles on its KYC tier and factors."""

    browser: Browser
    subject: str
    engine: Engine
    key_path: Path
    clock: Clock

    def set_tier(self, tier: Tier) -> None:
        Tiers(self.engine, clock=lambda: self.clock.now * 1000).set_tier(
            self.subject, tier, actor="test-desk", reason="documents checked"
        )

    def enrol_totp(self) -> pyotp.TOTP:
        """A confirmed TOTP (the confirming code's step is spent: the clock moves to the next step)."""
        factor = TotpFactor(
            self.engine, SecretBox.from_file(self.key_path), LockoutPolicy(), self.clock, issuer="TPWallet"
        )
        otp = pyotp.TOTP(factor.enrol(self.subject, "customer").secret)
        factor.confirm(self.subject, otp.at(self.clock.now))
        self.clock.now += TOTP_STEP
        return otp

    def set_password(self, password: str) -> None:
        PaymentPassword(self.engine, LockoutPolicy(), self.clock).set(self.subject, password)

    def register_passkey(self) -> SoftAuthenticator:
        """A passkey registered through `/v1/auth/passkeys` in this customer's session."""
        authenticator = SoftAuthenticator()
        client, bearer = self.browser.client, self.browser.bearer()
        options = client.post(
            "/v1/auth/passkeys/registration/options", json={"user_name": "customer"}, headers=bearer
        )
        assert options.status_code == 201, options.text
        ceremony = options.json()
        answer = {
            "ceremony_id": ceremony["ceremony_id"],
            "credential": authenticator.register(ceremony["options"], origin=ORIGIN),
        }
        verified = client.post("/v1/auth/passkeys/registration/verify", json=answer, headers=bearer)
        assert verified.status_code == 201, verified.text
        return authenticator

    def passkey_options(self, intent_id: str, token: str | None = None) -> httpx.Response:
        return self.browser.client.post(
            f"{INTENTS}/{intent_id}/verify-factor/passkey-options", headers=self.browser.bearer(token)
        )

    def verify(self, intent_id: str, body: dict[str, Any], token: str | None = None) -> httpx.Response:
        return self.browser.client.post(
            f"{INTENTS}/{intent_id}/verify-factor", json=body, headers=self.browser.bearer(token)
        )


CustomerFactory = Callable[[], Customer]


@pytest.fixture
def new_customer(app: FastAPI, client: TestClient, clock: Clock, settings: ApiSettings) -> CustomerFactory:
    def make() -> Customer:
        browser = Browser(client, clock)
        session = browser.sign_in()
        return Customer(browser, session["subject_id"], app.state.engine, settings.factor_key_path, clock)

    return make


def pay(merchant: Onboarded, customer: Customer, amount: str, **confirm: Any) -> dict[str, Any]:
    """Create the customer's card payment at the merchant and confirm it; the confirmed intent."""
    body = {"amount": amount, "currency": "EUR", "payment_method": "pm_ok", "customer": customer.subject}
    created = merchant.sandbox.post(INTENTS, body)
    assert created.status_code == 201, created.text
    confirmed = merchant.sandbox.post(f"{INTENTS}/{created.json()['id']}/confirm", confirm)
    assert confirmed.status_code == 200, confirmed.text
    result: dict[str, Any] = confirmed.json()
    return result
