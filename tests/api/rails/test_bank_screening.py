"""Bank refunds screened against the sanctions list, on SQLite and PostgreSQL, as stablecoin payouts are:
a refund to a listed IBAN is held (pending, its money held on the ledger, no pain.001 sent, the bank never
books it) and its screening recorded against the refund; a refund to an unlisted IBAN goes out (the other
refund tests run on the shipped sample list, which lists none of the sandbox bank's accounts)."""

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.screening.runtime import runtime_of as screening_runtime_of
from api.settings import ApiSettings
from payments.rails.bank.holds import HoldStatus, hold_status
from risk.screening import sdn
from risk.screening.index import ListIndex
from risk.screening.model import Outcome, Standing, Trigger
from risk.screening.screenings import Screener
from tests.api.payment_intents.conftest import Caller
from tests.api.rails.conftest import INTENTS, create_bank_intent, settled
from tests.api.rails.test_bank import FUNDED, confirm, ledger_clean
from tests.helpers.db import database_url, engine_on, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.risk.screening.conftest import sample_files, write_list

LISTED_FUNDED = (
    '9100,"FUNDED TRADING LIMITED","-0- ","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ",'
    '"IBAN DE93 9999 9999 0000 0000 01; Organization Established Date 2020."\r\n'
)
"""An SDN row listing the sandbox bank's funded account, the one a payment can succeed from."""


@pytest.fixture
def list_dir(tmp_path: Path) -> Path:
    files = sample_files()
    files[sdn.SDN_FILE] = files[sdn.SDN_FILE].rstrip(b"\x1a") + LISTED_FUNDED.encode("cp1252")
    return write_list(tmp_path / "sanctions", files)


@pytest.fixture
def api_settings(api_settings: ApiSettings, list_dir: Path, database_url: str) -> ApiSettings:  # noqa: F811
    """The bank rail's settings (tests/api/rails/conftest.py) on a list that names the funded account
    (`database_url` named so the backends' parametrization reaches this override); the held refunds' round
    is run by hand."""
    return api_settings.model_copy(
        update={"screening_list_dir": list_dir, "bank_held_refund_interval_seconds": 0}
    )


def test_a_refund_to_a_listed_iban_is_held_and_never_sent(
    merchant: Caller, api_settings: ApiSettings, list_dir: Path
) -> None:
    intent = create_bank_intent(merchant, FUNDED, amount="8000")
    confirm(merchant, intent)
    assert settled(merchant, f"{INTENTS}/{intent['id']}", "processing")["status"] == "succeeded"
    refund = merchant.post("/v1/refunds", {"payment_intent": intent["id"], "amount": "3000"})
    assert refund.status_code == 201, refund.text
    assert refund.json()["status"] == "pending"
    time.sleep(2.0)  # the sandbox bank books a transfer 0.5 s after it is sent: this one never was
    held = merchant.get(f"/v1/refunds/{refund.json()['id']}").json()
    assert held["status"] == "pending"
    with engine_on(api_settings.database_url) as engine:
        screener = Screener(engine, ListIndex(sdn.load(list_dir)), clock=lambda: 0)
        [screening] = screener.latest(refund.json()["id"])
        assert screener.standing(refund.json()["id"]) is Standing.BLOCKED
    assert (screening.kind, screening.value, screening.trigger) == ("iban", FUNDED, Trigger.PAYOUT)
    assert (screening.outcome, [hit.ent_num for hit in screening.hits]) == (Outcome.MATCH, [9100])
    ledger_clean(api_settings)


def test_a_held_refund_stays_held_while_listed_and_is_sent_once_when_cleared(
    client: TestClient, merchant: Caller, api_settings: ApiSettings
) -> None:
    """The round (run by hand here) keeps a confirmed match `blocked`, nothing sent and the money held;
    once the list no longer names the IBAN the refund is sent, once: the bank books it and the refund
    succeeds, and later rounds send nothing more."""
    intent = create_bank_intent(merchant, FUNDED, amount="8000")
    confirm(merchant, intent)
    assert settled(merchant, f"{INTENTS}/{intent['id']}", "processing")["status"] == "succeeded"
    refund_id = merchant.post("/v1/refunds", {"payment_intent": intent["id"], "amount": "3000"}).json()["id"]
    rail = client.app.state.bank_notifications.rail  # type: ignore[attr-defined]
    assert rail.release_held_refunds() == {refund_id: HoldStatus.BLOCKED}
    time.sleep(1.5)
    assert merchant.get(f"/v1/refunds/{refund_id}").json()["status"] == "pending"
    with engine_on(api_settings.database_url) as engine:
        assert hold_status(engine, refund_id) is HoldStatus.BLOCKED
    screening_runtime_of(client.app.state).replace(sample_files())  # type: ignore[attr-defined]
    assert rail.release_held_refunds() == {refund_id: HoldStatus.SENT}
    assert settled(merchant, f"/v1/refunds/{refund_id}", "pending")["status"] == "succeeded"
    assert rail.release_held_refunds() == {}
    with engine_on(api_settings.database_url) as engine:
        assert hold_status(engine, refund_id) is HoldStatus.SENT
    ledger_clean(api_settings)
