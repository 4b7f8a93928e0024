"""The bridge relay's settings: secrets only by file, the URLs (which may carry credentials) never printed,
a batch size within what a sign request holds, and a lease name per process."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from relay.bridge.settings import BridgeRelaySettings

L1, L2 = "0x5FbDB2315678afecb367f032d93F642f64180aa3", "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def test_key_files_and_bridges_are_required_and_secrets_are_not_printed(tmp_path: Path) -> None:
    api_key, relayer_key = tmp_path / "api.key", tmp_path / "relayer.key"
    settings = BridgeRelaySettings(
        l1_bridge=L1,
        l2_bridge=L2,
        database_url="postgresql://relay:hunter2@db/tpw",
        l1_rpc_url="https://user:token@l1.example",
        api_key_file=api_key,
        relayer_key_file=relayer_key,
    )
    assert (settings.confirmations, settings.max_messages) == (2, 100)
    assert ":" in settings.holder  # host:pid
    for secret in ("hunter2", "token@"):
        assert secret not in repr(settings)
    with pytest.raises(ValidationError):
        BridgeRelaySettings(l1_bridge=L1, l2_bridge=L2, relayer_key_file=relayer_key)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        BridgeRelaySettings(
            l1_bridge=L1,
            l2_bridge=L2,
            max_messages=16_385,
            api_key_file=api_key,
            relayer_key_file=relayer_key,
        )
    with pytest.raises(ValidationError):
        BridgeRelaySettings(
            l1_bridge=L1, l2_bridge=L2, confirmations=-1, api_key_file=api_key, relayer_key_file=relayer_key
        )
