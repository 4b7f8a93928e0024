"""A merchant's own keys: its sandbox key pays into its sandbox book at its fee terms, and its live key and
another merchant's key see none of it."""

from fastapi.testclient import TestClient

from api.auth import issue_api_key
from api.settings import ApiSettings
from tests.api.merchants.conftest import Caller, onboard
from tests.helpers.db import session_on
from tests.payments.intents.conftest import ScriptedRail

INTENTS = "/v1/payment-intents"


def test_a_merchants_sandbox_key_pays_at_its_fee_terms(
    client: TestClient, api_settings: ApiSettings, rail: ScriptedRail
) -> None:
    with session_on(api_settings.database_url) as session:
        admin = Caller(client, issue_api_key(session, "desk", ("merchants:admin",)).token)
    acme, other = onboard(client, admin, "Acme"), onboard(client, admin, "Other")
    body = {"amount": "10000", "currency": "EUR", "payment_method": "pm_ok"}
    created = acme.sandbox.post(INTENTS, body)
    assert created.status_code == 201, created.text
    intent = acme.sandbox.post(f"{INTENTS}/{created.json()['id']}/confirm").json()
    # The application's card terms: 290 bps + 30 -> 290 + 30 on 10_000.
    assert (intent["status"], intent["livemode"], intent["application_fee_amount"]) == (
        "succeeded",
        False,
        "320",
    )
    assert [share["destination"] for share in intent["shares"]] == [acme.id]
    for outsider in (acme.live, other.sandbox):
        assert outsider.get(f"{INTENTS}/{intent['id']}").status_code == 404
