"""Tests of the node's settings: defaults from the node id and data directory, and the unlocker rule."""

from pathlib import Path

import pytest

from custody.keystore import KEK_ENV_VAR, Kek, Passphrase
from custody.node.settings import PASSPHRASE_ENV_VAR, MissingUnlocker, NodeSettings, unlocker_from_environment

KEK_HEX = "ab" * 32


def test_paths_and_port_default_from_the_node_id_and_data_directory(tmp_path: Path) -> None:
    settings = NodeSettings(node_id=3, data_dir=tmp_path)

    assert settings.listen_port == 7103
    assert settings.tls_paths.certificate == tmp_path / "tls" / "node.crt"
    assert settings.tls_paths.key == tmp_path / "tls" / "node.key"
    assert settings.tls_paths.ca == tmp_path / "tls" / "ca.crt"
    assert settings.keystore_dir == tmp_path / "keystore"
    assert settings.policy_file == tmp_path / "policy.yaml"


def test_settings_come_from_tpw_node_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TPW_NODE_NODE_ID", "2")
    monkeypatch.setenv("TPW_NODE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TPW_NODE_PORT", "17102")
    monkeypatch.setenv("TPW_NODE_POLICY_PATH", str(tmp_path / "strict.yaml"))

    settings = NodeSettings()  # type: ignore[call-arg]

    assert (settings.node_id, settings.listen_port) == (2, 17102)
    assert settings.policy_file == tmp_path / "strict.yaml"


def test_the_kek_or_the_passphrase_unlocks_and_the_kek_is_parsed() -> None:
    assert isinstance(unlocker_from_environment({KEK_ENV_VAR: KEK_HEX}), Kek)
    assert isinstance(
        unlocker_from_environment({PASSPHRASE_ENV_VAR: "a long operator passphrase"}), Passphrase
    )


@pytest.mark.parametrize(
    "environ",
    [{}, {KEK_ENV_VAR: KEK_HEX, PASSPHRASE_ENV_VAR: "a long operator passphrase"}, {KEK_ENV_VAR: " "}],
)
def test_exactly_one_unlocker_must_be_given(environ: dict[str, str]) -> None:
    with pytest.raises(MissingUnlocker) as error:
        unlocker_from_environment(environ)

    assert KEK_HEX not in str(error.value)
    assert "a long operator passphrase" not in str(error.value)
