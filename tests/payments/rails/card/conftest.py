"""Fixtures of the card rail's tests: the real processor process (webhooks kept in its outbox, read here),
the rail's client of it, and the payment intents on each backend with the card rail."""

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from payments.intents.context import Payments
from payments.intents.model import RailKind
from payments.rails.card.client import CardProcessorClient
from payments.rails.card.rail import CardRail
from tests.helpers.card_processor import CardProcessor
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.payments.intents.conftest import engine  # noqa: F401  (fixture)


@pytest.fixture
def processor(tmp_path: Path) -> Iterator[CardProcessor]:
    with CardProcessor(tmp_path / "processor") as running:
        yield running


@pytest.fixture
def client(processor: CardProcessor) -> Iterator[CardProcessorClient]:
    client = CardProcessorClient.from_file(processor.url, processor.credential_path, 5.0)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def card_rail(client: CardProcessorClient) -> CardRail:
    return CardRail(client)


@pytest.fixture
def pay(engine: Engine, card_rail: CardRail) -> Payments:  # noqa: F811
    return Payments(engine, {RailKind.CARD: card_rail})


def queued_events(processor: CardProcessor) -> list[dict[str, Any]]:
    """The webhooks the processor has queued (no webhook URL: none is sent), oldest first."""
    with sqlite3.connect(processor.database_path) as db:
        return [json.loads(body) for (body,) in db.execute("SELECT body FROM outbox ORDER BY id")]
