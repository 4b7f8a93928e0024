"""The processor tests' fixtures: the real processor process, and a client of it with the credential."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.card_processor import CardProcessor


@pytest.fixture
def processor(tmp_path: Path) -> Iterator[CardProcessor]:
    with CardProcessor(tmp_path / "processor") as running:
        yield running


@pytest.fixture
def http(processor: CardProcessor) -> Iterator[httpx.Client]:
    with processor.http() as client:
        yield client
