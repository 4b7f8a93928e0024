"""The stack's settlement pieces: the anchorer's secrets are 0600 files named by path, never values in its
environment, and its settings are the ones `relay.settlement` reads; the API's price loop names the pool as
the registry records it."""

import stat
from pathlib import Path

import pytest

from chain.dev_accounts import dev_accounts
from chain.liquidity import BASE, POOL_NAME
from relay.settlement.settings import AnchorerSettings
from scripts._support.stack.config import DevnetSettings
from scripts._support.stack.settlement import ANCHOR_RELAYER_INDEX, anchorer_process, perp_pricing_env

API_KEY = "tpw_devnet_secret_key_value"


def test_the_anchorer_gets_its_secrets_as_0600_files_and_its_settings_from_the_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TPW_SETTLEMENT_RELAYER_KEY", "0xleftover")  # a shell's leftover is not passed on
    process = anchorer_process(
        tmp_path / "run",
        tmp_path / "logs",
        rpc_url="http://127.0.0.1:18545",
        network="local",
        deployments_dir=tmp_path / "deployments",
        database_url="sqlite:///run/api.db",
        api_url="http://127.0.0.1:18000",
        api_key=API_KEY,
        custody_key_id="treasury",
        batch_age_seconds=DevnetSettings().settlement_batch_age_seconds,
    )
    assert process.env is not None
    relayer_key = "0x" + bytes(dev_accounts()[ANCHOR_RELAYER_INDEX].key).hex()
    values = "\n".join(process.env.values())
    assert API_KEY not in values
    assert relayer_key[2:] not in values
    assert "TPW_SETTLEMENT_RELAYER_KEY" not in process.env
    api_key_file = Path(process.env["TPW_SETTLEMENT_API_KEY_FILE"])
    relayer_key_file = Path(process.env["TPW_SETTLEMENT_RELAYER_KEY_FILE"])
    assert (api_key_file.read_text(), relayer_key_file.read_text()) == (API_KEY, relayer_key)
    for secret in (api_key_file, relayer_key_file):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    for name, value in process.env.items():
        if name.startswith("TPW_SETTLEMENT_"):
            monkeypatch.setenv(name, value)
    settings = AnchorerSettings()  # type: ignore[call-arg]  # the required fields come from the environment
    assert (settings.rpc_url, settings.deployments_network, settings.custody_key_id) == (
        "http://127.0.0.1:18545",
        "local",
        "treasury",
    )
    assert (settings.max_age_seconds, settings.confirmations, settings.poll_interval_seconds) == (1.0, 0, 0.5)
    assert process.argv[1:] == ["-m", "relay.settlement"]


def test_the_price_loop_names_the_registry_pool_and_runs_often() -> None:
    env = perp_pricing_env(DevnetSettings().perp_price_interval_seconds)
    assert (env["TPW_PERP_INDEX_PAIR"], env["TPW_PERP_INDEX_BASE"]) == (POOL_NAME, BASE)
    assert 0 < float(env["TPW_PERP_PRICE_INTERVAL_SECONDS"]) <= 1
