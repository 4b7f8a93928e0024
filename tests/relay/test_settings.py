"""relay.settings and the keeper's entry point: the relayer key is required, checked and never shown."""

import os
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from chain.dev_accounts import dev_accounts
from relay.settings import KeeperSettings
from tests.helpers.commands import run_in_project

A_KEY = "0x" + "4f" * 32


def test_the_relayer_key_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TPW_KEEPER_RELAYER_KEY", A_KEY)
    settings = KeeperSettings()
    assert settings.relayer().key.hex() == A_KEY[2:]
    assert A_KEY[2:] not in repr(settings)
    assert A_KEY[2:] not in str(settings.model_dump())


@pytest.mark.parametrize("key", ["", "0x12", "not hex at all"])
def test_a_missing_or_malformed_key_is_named_not_shown(key: str) -> None:
    settings = KeeperSettings(relayer_key=SecretStr(key))
    with pytest.raises(ValueError, match="TPW_KEEPER_RELAYER_KEY") as raised:
        settings.relayer()
    assert key == "" or key not in str(raised.value)


@pytest.mark.parametrize("key", ["", "0x" + bytes(dev_accounts()[3].key).hex()])
def test_prod_refuses_a_missing_or_devnet_key(key: str) -> None:
    with pytest.raises(ValidationError, match="must be set to a real key") as raised:
        KeeperSettings(environment="prod", relayer_key=SecretStr(key))
    assert key == "" or key[2:] not in str(raised.value)
    KeeperSettings(environment="prod", relayer_key=SecretStr(A_KEY))


def test_the_keeper_process_refuses_to_start_without_a_relayer_key(tmp_path: Path) -> None:
    env = {**os.environ, "TPW_KEEPER_RELAYER_KEY": "", "TPW_KEEPER_DEPLOYMENTS_DIR": str(tmp_path)}
    result = run_in_project([sys.executable, "-m", "relay.keeper"], env)
    assert result.returncode == 2
    assert "cannot start: TPW_KEEPER_RELAYER_KEY is not set" in result.stderr
