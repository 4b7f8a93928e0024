"""Fixtures of the sandbox bank's tests: the bank process, its webhooks caught by a real receiver, and the
rail's client pointed at it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from payments.rails.bank.client import BankRail
from tests.helpers.sandbox_bank import BankProcess, running_bank
from tests.helpers.webhook_receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver("/v1/rails/bank/events") as receiver:
        yield receiver


@pytest.fixture
def bank(tmp_path: Path, receiver: Receiver) -> Iterator[BankProcess]:
    with running_bank(tmp_path / "bank", receiver.url) as bank:
        yield bank


@pytest.fixture
def rail(bank: BankProcess) -> Iterator[BankRail]:
    rail = BankRail(bank.connection())
    try:
        yield rail
    finally:
        rail.close()
