"""The daily job's command line: exit 0 clean, 1 breaks, 2 incomplete; sources built from `--source`
through the registry; a bad or future date, or an unknown rail, refused before anything runs."""

import datetime

import pytest
from sqlalchemy import Engine

from payments.intents.context import Payments
from payments.intents.model import RailKind
from payments.reconciliation.__main__ import main
from payments.reconciliation.runs import load_run
from payments.reconciliation.sources import BUILDERS, SourceConfigError, build_sources
from tests.payments.reconciliation.conftest import RecordedStatement, ledger_day, paid, statement_of


def _run(engine: Engine, day: datetime.date, *extra: str) -> int:
    url = engine.url.render_as_string(hide_password=False)
    return main(["run", "--date", day.isoformat(), "--database-url", url, *extra])


def test_exit_status_says_clean_breaks_or_incomplete(
    engine: Engine, pay: Payments, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    intent = paid(pay, 1_234)
    day = ledger_day(engine)
    assert _run(engine, day) == 2  # money moved on the card rail and nobody read its record
    agreeing = statement_of(engine, day)
    located: list[str] = []

    def build(location: str) -> RecordedStatement:
        located.append(location)
        return agreeing

    monkeypatch.setitem(BUILDERS, RailKind.CARD, build)
    assert _run(engine, day, "--source", "card=https://processor.test/settlements") == 0
    assert located == ["https://processor.test/settlements"]
    agreeing.days[day] = []
    assert _run(engine, day, "--source", "card=x") == 1
    assert f"missing_at_rail\tcard\tpayment\t{intent.id}\tledger=1234 EUR\trail=-" in capsys.readouterr().out
    # Run 2 (the clean one) named again is answered as stored: still clean, whatever the rail says now.
    assert _run(engine, day, "--source", "card=x", "--number", "2") == 0
    with engine.connect() as connection:
        assert load_run(connection, day).number == 3  # type: ignore[union-attr]


def test_bad_arguments_are_refused() -> None:
    tomorrow = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=2)
    for arguments in (("--date", "2026-13-01"), ("--date", tomorrow.isoformat())):
        with pytest.raises(SystemExit):
            main(["run", *arguments, "--database-url", "sqlite://"])
    with pytest.raises(SystemExit):
        main(["run", "--date", "2026-12-01", "--database-url", "sqlite://", "--source", "ach=x"])


def test_the_registry_refuses_unknown_rails_and_rails_without_builder() -> None:
    with pytest.raises(SourceConfigError, match="unknown rail 'ach'"):
        build_sources({"ach": "x"}, {})
    with pytest.raises(SourceConfigError, match="no statement source is registered for the bank rail"):
        build_sources({"bank": "x"}, {})
    statement = RecordedStatement(RailKind.BANK)
    assert build_sources({"bank": "x"}, {RailKind.BANK: lambda _: statement}) == {RailKind.BANK: statement}
