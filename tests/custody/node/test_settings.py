"""Tests of the node's settings: defaults from the node id and data directory, and the unlocker rule."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from custody.keystore import KEK_ENV_VAR, Kek, Passphrase
from custody.node.settings import (
    CREDENTIALS_DIRECTORY_ENV_VAR,
    KEK_FILE_ENV_VAR,
    PASSPHRASE_CREDENTIAL,
    PASSPHRASE_ENV_VAR,
    PASSPHRASE_FILE_ENV_VAR,
    MissingUnlocker,
    NodeSettings,
    unlocker_from_environment,
)

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


def test_the_chains_a_node_witnesses_come_as_json_by_chain_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TPW_NODE_NODE_ID", "1")
    monkeypatch.setenv("TPW_NODE_DATA_DIR", str(tmp_path))
    secret_url = "https://rpc.example/v2/provider-key-123"
    monkeypatch.setenv(
        "TPW_NODE_WITNESS_RPC_URLS", f'{{"31337": "http://127.0.0.1:8545", "1": "{secret_url}"}}'
    )

    witnessing = NodeSettings()  # type: ignore[call-arg]
    assert witnessing.witness_rpc_urls == {31337: "http://127.0.0.1:8545", 1: secret_url}
    monkeypatch.delenv("TPW_NODE_WITNESS_RPC_URLS")
    assert NodeSettings().witness_rpc_urls == {}  # type: ignore[call-arg]

    monkeypatch.setenv("TPW_NODE_WITNESS_RPC_URLS", f'{{"0": "{secret_url}"}}')
    with pytest.raises(ValidationError) as refused:
        NodeSettings()  # type: ignore[call-arg]
    assert "witness_rpc_urls" in str(refused.value)
    assert "provider-key-123" not in str(refused.value)


def test_the_witness_start_blocks_and_log_window_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start blocks by chain id (JSON), for chains the node has an RPC URL for only; the window defaults
    to 2,000 blocks and must be at least one."""
    monkeypatch.setenv("TPW_NODE_NODE_ID", "1")
    monkeypatch.setenv("TPW_NODE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TPW_NODE_WITNESS_RPC_URLS", '{"31337": "http://127.0.0.1:8545"}')
    assert NodeSettings().witness_from_blocks == {}  # type: ignore[call-arg]
    assert NodeSettings().witness_log_window_blocks == 2_000  # type: ignore[call-arg]

    monkeypatch.setenv("TPW_NODE_WITNESS_FROM_BLOCKS", '{"31337": 120}')
    monkeypatch.setenv("TPW_NODE_WITNESS_LOG_WINDOW_BLOCKS", "500")
    settings = NodeSettings()  # type: ignore[call-arg]
    assert (settings.witness_from_blocks, settings.witness_log_window_blocks) == ({31337: 120}, 500)

    for name, value in (
        ("TPW_NODE_WITNESS_FROM_BLOCKS", '{"31338": 120}'),  # no RPC URL for 31338
        ("TPW_NODE_WITNESS_FROM_BLOCKS", '{"31337": -1}'),
        ("TPW_NODE_WITNESS_LOG_WINDOW_BLOCKS", "0"),
    ):
        with monkeypatch.context() as wrong:
            wrong.setenv(name, value)
            with pytest.raises(ValidationError, match="witness_"):
                NodeSettings()  # type: ignore[call-arg]


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


def secret_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_the_secret_comes_from_a_file_named_in_the_environment(tmp_path: Path) -> None:
    kek_file = secret_file(tmp_path / "kek", KEK_HEX + "\n")
    passphrase_file = secret_file(tmp_path / "passphrase", "a long operator passphrase\n")

    assert isinstance(unlocker_from_environment({KEK_FILE_ENV_VAR: str(kek_file)}), Kek)
    unlocker = unlocker_from_environment({PASSPHRASE_FILE_ENV_VAR: str(passphrase_file)})
    assert isinstance(unlocker, Passphrase)
    assert unlocker.char_count() == len("a long operator passphrase")  # one trailing newline dropped


def test_the_secret_comes_from_a_systemd_credential(tmp_path: Path) -> None:
    secret_file(tmp_path / PASSPHRASE_CREDENTIAL, "a long operator passphrase")

    unlocker = unlocker_from_environment({CREDENTIALS_DIRECTORY_ENV_VAR: str(tmp_path)})

    assert isinstance(unlocker, Passphrase)
    with pytest.raises(MissingUnlocker):
        unlocker_from_environment({CREDENTIALS_DIRECTORY_ENV_VAR: str(tmp_path / "no-credentials")})


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (KEK_HEX, 0o644, "only its owner may read"),
        ("", 0o600, "is empty"),
        (None, 0o600, "cannot read"),
    ],
)
def test_a_bad_secret_file_is_refused_without_echoing_it(
    tmp_path: Path, content: str | None, mode: int, message: str
) -> None:
    path = tmp_path / "kek"
    if content is not None:
        secret_file(path, content, mode)

    with pytest.raises(MissingUnlocker) as error:
        unlocker_from_environment({KEK_FILE_ENV_VAR: str(path)})

    assert message in str(error.value)
    assert KEK_HEX not in str(error.value)


def test_two_sources_of_the_secret_are_refused(tmp_path: Path) -> None:
    kek_file = secret_file(tmp_path / "kek", KEK_HEX)

    with pytest.raises(MissingUnlocker, match="more than once"):
        unlocker_from_environment({KEK_FILE_ENV_VAR: str(kek_file), KEK_ENV_VAR: KEK_HEX})
