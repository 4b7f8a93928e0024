"""The daily job's command line: exit 0 clean, 1 breaks, 2 incomplete; its sources and database are the
API's settings; a bad or future date, or a reconciled rail not configured, refused before anything runs."""

import datetime

import pytest
from sqlalchemy import Engine

from api.reconciliation.__main__ import main
from api.reconciliation.sources import BUILDERS
from api.settings import ApiSettings
from payments.intents.model import RailKind
from payments.reconciliation.runs import load_run
from tests.api.merchants.conftest import Onboarded
from tests.api.reconciliation.conftest import pay
from tests.payments.intents.conftest import ScriptedRail
from tests.payments.reconciliation.conftest import ledger_day, statement_of


def _run(settings: ApiSettings, day: datetime.date, *extra: str) -> int:
    return main(["run", "--date", day.isoformat(), *extra], settings)


def test_exit_status_says_clean_breaks_or_incomplete(
    api_settings: ApiSettings,
    engine: Engine,
    rail: ScriptedRail,
    merchant_a: Onboarded,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    intent = pay(merchant_a.sandbox, 1_234)
    day = ledger_day(engine)
    assert _run(api_settings, day) == 2  # money moved on the card rail and nobody read its record
    agreeing = statement_of(engine, day)
    read_with: list[ApiSettings] = []

    def build(settings: ApiSettings, database: Engine) -> object:
        read_with.append(settings)
        return agreeing

    monkeypatch.setitem(BUILDERS, RailKind.CARD, build)
    card = api_settings.model_copy(update={"reconciliation_rails": [RailKind.CARD]})
    assert _run(card, day) == 0
    assert read_with == [card]
    agreeing.days[day] = []
    assert _run(card, day) == 1
    assert (
        f"missing_at_rail\tcard\tpayment\t{intent['id']}\tledger=1234 EUR\trail=-" in capsys.readouterr().out
    )
    # Run 2 (the clean one) named again is answered as stored: still clean, whatever the rail says now.
    assert _run(card, day, "--number", "2") == 0
    with engine.connect() as connection:
        assert load_run(connection, day).number == 3  # type: ignore[union-attr]


def test_bad_arguments_are_refused(api_settings: ApiSettings) -> None:
    tomorrow = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=2)
    for arguments in (("--date", "2026-13-01"), ("--date", tomorrow.isoformat())):
        with pytest.raises(SystemExit):
            main(["run", *arguments], api_settings)
    unconfigured = api_settings.model_copy(update={"reconciliation_rails": [RailKind.BANK]})
    with pytest.raises(SystemExit):
        main(["run", "--date", "2026-12-01"], unconfigured)
