"""`/v1/reconciliation/{date}`: a run posted (idempotently) and read back, its breaks paged, a rail down
making it incomplete, bad dates named, and only operators with the right scope let in."""

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine

from api.app import create_app
from api.reconciliation.sources import DeployedPaidStatement, SourceConfigError, statement_sources
from api.settings import ApiSettings
from payments.intents.errors import InvalidRequest
from payments.intents.model import RailKind
from payments.rails.bank.statements import BankStatements
from payments.rails.card.statement import CardSettlements
from tests.api.merchants.conftest import Caller, Onboarded
from tests.api.reconciliation.conftest import pay
from tests.payments.intents.conftest import ScriptedRail
from tests.payments.reconciliation.conftest import RecordedStatement, ledger_day, statement_of

BASE = "/v1/reconciliation"


def test_a_clean_day_posted_then_read_and_a_replay_runs_nothing(
    app: FastAPI, engine: Engine, rail: ScriptedRail, desk: Caller, merchant_a: Onboarded
) -> None:
    intent = pay(merchant_a.sandbox, 12_345)
    day = ledger_day(engine)
    app.state.reconciliation_sources = {RailKind.CARD: statement_of(engine, day)}
    posted = desk.post(f"{BASE}/{day}/runs", idempotency_key="recon-1")
    assert posted.status_code == 201, posted.text
    run = posted.json()
    assert (run["date"], run["run"], run["status"], run["break_count"]) == (day.isoformat(), 1, "complete", 0)
    card = next(rail for rail in run["rails"] if rail["rail"] == "card")
    assert (card["state"], card["ledger_lines"], card["rail_lines"]) == ("reconciled", 1, 1)
    assert run["breaks"] == {"data": [], "has_more": False, "next_cursor": None}

    replay = desk.post(f"{BASE}/{day}/runs", idempotency_key="recon-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == run
    assert desk.get(f"{BASE}/{day}").json() == run  # still run 1: the replay made no run

    # The rail loses the payment: a new run finds the break, with the ledger's side.
    app.state.reconciliation_sources = {RailKind.CARD: RecordedStatement(RailKind.CARD)}
    second = desk.post(f"{BASE}/{day}/runs").json()
    assert (second["run"], second["break_count"]) == (2, 1)
    [found] = second["breaks"]["data"]
    assert (found["kind"], found["rail"], found["line_kind"], found["reference"]) == (
        "missing_at_rail",
        "card",
        "payment",
        intent["id"],
    )
    assert (found["ledger"]["amount"], found["ledger"]["currency"], found["rail_line"]) == (
        "12345",
        "EUR",
        None,
    )
    assert desk.get(f"{BASE}/{day}?run=1").json() == run


def test_breaks_page_on_through_the_run_they_started_with(
    app: FastAPI, engine: Engine, rail: ScriptedRail, desk: Caller, merchant_a: Onboarded
) -> None:
    ids = {pay(merchant_a.sandbox, amount)["id"] for amount in (100, 200, 300)}
    day = ledger_day(engine)
    app.state.reconciliation_sources = {RailKind.CARD: RecordedStatement(RailKind.CARD)}
    assert desk.post(f"{BASE}/{day}/runs").status_code == 201
    first = desk.get(f"{BASE}/{day}?limit=2").json()
    assert (len(first["breaks"]["data"]), first["breaks"]["has_more"]) == (2, True)
    app.state.reconciliation_sources = {RailKind.CARD: statement_of(engine, day)}
    assert desk.post(f"{BASE}/{day}/runs").json()["break_count"] == 0  # run 2, clean
    rest = desk.get(f"{BASE}/{day}?limit=2&cursor={first['breaks']['next_cursor']}").json()
    assert (rest["run"], rest["breaks"]["has_more"]) == (1, False)
    assert {item["reference"] for item in first["breaks"]["data"] + rest["breaks"]["data"]} == ids
    assert desk.get(f"{BASE}/{day}?cursor=bm90LWEtY3Vyc29y").status_code == 400


def test_a_rail_that_cannot_be_read_makes_the_run_incomplete(
    app: FastAPI, engine: Engine, rail: ScriptedRail, desk: Caller, merchant_a: Onboarded
) -> None:
    pay(merchant_a.sandbox, 500)
    day = ledger_day(engine)
    app.state.reconciliation_sources = {RailKind.CARD: RecordedStatement(RailKind.CARD, down=True)}
    run = desk.post(f"{BASE}/{day}/runs").json()
    assert (run["status"], run["break_count"]) == ("incomplete", 0)
    card = next(rail for rail in run["rails"] if rail["rail"] == "card")
    assert (card["state"], card["detail"]) == (
        "unreadable",
        "ConnectionError: card statement service unreachable",
    )


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "20261206", "2026-1-6"])
def test_a_bad_date_is_a_422_naming_it(desk: Caller, text: str) -> None:
    for answer in (desk.get(f"{BASE}/{text}"), desk.post(f"{BASE}/{text}/runs")):
        assert answer.status_code == 422, answer.text
        assert [error["field"] for error in answer.json()["errors"]] == ["date"]


def test_a_future_date_is_a_422_and_a_day_without_run_a_404(desk: Caller) -> None:
    future = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=2)
    for answer in (desk.get(f"{BASE}/{future}"), desk.post(f"{BASE}/{future}/runs")):
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "date"
    missing = desk.get(f"{BASE}/2020-01-01")
    assert (missing.status_code, missing.json()["type"].rsplit(":", 1)[-1]) == (
        404,
        "reconciliation-run-not-found",
    )


def test_only_operators_with_the_scope_may_read_or_run(
    client: TestClient, operator: Callable[..., Caller], merchant_a: Onboarded, desk: Caller
) -> None:
    day = "2026-01-05"
    reader = operator("reconciliation:read")
    assert reader.post(f"{BASE}/{day}/runs").status_code == 403
    assert desk.post(f"{BASE}/{day}/runs").status_code == 201
    assert reader.get(f"{BASE}/{day}").status_code == 200
    for outsider in (operator("ledger:read", "payments:read"), merchant_a.sandbox, merchant_a.live):
        assert outsider.get(f"{BASE}/{day}").status_code == 403
        assert outsider.post(f"{BASE}/{day}/runs").status_code == 403
    assert Caller(client, None).get(f"{BASE}/{day}").status_code == 401


def test_sources_are_built_from_the_rails_own_settings(
    api_settings: ApiSettings, engine: Engine, tmp_path: Path
) -> None:
    credential = tmp_path / "card-credential"
    credential.write_text("processor-credential\n")
    configured = api_settings.model_copy(
        update={
            "reconciliation_rails": [RailKind.BANK, RailKind.CARD, RailKind.STABLECOIN],
            "bank_url": "http://bank.test",
            "card_processor_url": "http://processor.test",
            "card_processor_credential_path": credential,
            "stablecoin_rail": True,
        }
    )
    sources = statement_sources(configured, engine)
    bank, card = sources[RailKind.BANK], sources[RailKind.CARD]
    assert isinstance(bank, BankStatements)
    assert bank.connection.url == "http://bank.test"
    assert bank.connection.collection.iban == configured.bank_collection_iban
    assert isinstance(card, CardSettlements)
    assert card.client.base_url == "http://processor.test"
    assert card.client.credential == "processor-credential"
    assert isinstance(sources[RailKind.STABLECOIN], DeployedPaidStatement)
    # L1 is down in these settings: the stablecoin record is unreadable at the read, not at the start.
    with pytest.raises(InvalidRequest, match="not reachable"):
        sources[RailKind.STABLECOIN].lines(datetime.date(2026, 12, 1))


@pytest.mark.parametrize(
    ("rail", "setting"),
    [("bank", "BANK_URL"), ("card", "CARD_PROCESSOR_URL"), ("stablecoin", "STABLECOIN_RAIL")],
)
def test_a_reconciled_rail_not_configured_stops_the_start(
    api_settings: ApiSettings, rail: str, setting: str
) -> None:
    broken = create_app(api_settings.model_copy(update={"reconciliation_rails": [RailKind(rail)]}))
    with pytest.raises(SourceConfigError, match=f"TPW_{setting}"), TestClient(broken):
        pass


def test_an_unknown_rail_is_refused_by_the_settings() -> None:
    with pytest.raises(ValidationError, match="reconciliation_rails"):
        ApiSettings(reconciliation_rails=["ach"])  # type: ignore[list-item]
