"""The settlement anchorer's settings: secrets only by file, batch sizes within what a sign request holds."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from matching.settlement.batches import BatchPolicy
from relay.settlement.settings import AnchorerSettings


def test_the_key_files_are_required_and_the_batch_size_bounded(tmp_path: Path) -> None:
    api_key, relayer_key = tmp_path / "api.key", tmp_path / "relayer.key"
    settings = AnchorerSettings(api_key_file=api_key, relayer_key_file=relayer_key)
    assert (settings.max_trades, settings.anchor_name) == (1_000, "SettlementAnchor")
    assert "database_url" not in repr(settings)
    with pytest.raises(ValidationError):
        AnchorerSettings(relayer_key_file=relayer_key)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        AnchorerSettings(api_key_file=api_key, relayer_key_file=relayer_key, max_trades=16_385)
    with pytest.raises(ValueError, match="max_trades"):
        BatchPolicy(max_trades=0)
