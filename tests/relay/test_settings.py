"""relay.settings and the keeper's entry point: the relayer key comes from a file, is required, checked and
never shown, and never from the environment."""

import os
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from chain.dev_accounts import dev_accounts
from relay.settings import KeeperSettings
from tests.helpers.commands import run_in_project

A_KEY = "0x" + "4f" * 32


def key_file(tmp_path: Path, key: str) -> Path:
    path = tmp_path / "relayer.key"
    path.write_text(key)
    return path


def test_the_relayer_key_comes_from_its_file_and_never_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TPW_KEEPER_RELAYER_KEY_FILE", str(key_file(tmp_path, A_KEY + "\n")))
    monkeypatch.setenv("TPW_KEEPER_RELAYER_KEY", "0x" + "11" * 32)  # the old variable: ignored
    settings = KeeperSettings()
    assert settings.relayer().key.hex() == A_KEY[2:]
    assert A_KEY[2:] not in repr(settings)
    assert A_KEY[2:] not in str(settings.model_dump())


@pytest.mark.parametrize("key", ["", "0x12", "not hex at all"])
def test_a_missing_or_malformed_key_names_the_file_not_the_key(tmp_path: Path, key: str) -> None:
    path = key_file(tmp_path, key)
    with pytest.raises(ValueError, match=str(path)) as raised:
        KeeperSettings(relayer_key_file=path).relayer()
    assert key == "" or key not in str(raised.value)
    with pytest.raises(ValueError, match="TPW_KEEPER_RELAYER_KEY_FILE is not set"):
        KeeperSettings().relayer()


@pytest.mark.parametrize("key", ["", "0x" + bytes(dev_accounts()[3].key).hex()])
def test_prod_refuses_a_missing_or_devnet_key(tmp_path: Path, key: str) -> None:
    path = None if key == "" else key_file(tmp_path, key)
    with pytest.raises(ValidationError, match="must hold a real key") as raised:
        KeeperSettings(environment="prod", relayer_key_file=path)
    assert key == "" or key[2:] not in str(raised.value)
    KeeperSettings(environment="prod", relayer_key_file=key_file(tmp_path, A_KEY))


def test_the_keeper_process_refuses_to_start_without_a_relayer_key(tmp_path: Path) -> None:
    env = {**os.environ, "TPW_KEEPER_DEPLOYMENTS_DIR": str(tmp_path)}
    env.pop("TPW_KEEPER_RELAYER_KEY_FILE", None)
    result = run_in_project([sys.executable, "-m", "relay.keeper"], env)
    assert result.returncode == 2
    assert "cannot start: TPW_KEEPER_RELAYER_KEY_FILE is not set" in result.stderr
