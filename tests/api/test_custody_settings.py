"""The API's custody settings: devnet defaults under var/custody, `TPW_CUSTODY_*` variables, TLS paths."""

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import ApiSettings
from chain.paths import PROJECT_ROOT
from custody.tls import TlsPaths


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("TPW_")]:
        monkeypatch.delenv(name)


def test_defaults_are_the_devnet_layout():
    settings = ApiSettings()
    custody = PROJECT_ROOT / "var" / "custody"
    assert settings.custody_roster_path == custody / "roster.json"
    assert settings.custody_tls_paths() == TlsPaths.in_directory(custody / "coordinator", "coordinator")
    assert settings.custody_audit_path == custody / "coordinator" / "audit.jsonl"
    assert (settings.custody_threshold, settings.custody_timeout_seconds) == (2, 5.0)


def test_environment_variables_set_the_custody_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("TPW_CUSTODY_ROSTER_PATH", str(tmp_path / "roster.json"))
    monkeypatch.setenv("TPW_CUSTODY_TLS_DIR", str(tmp_path / "tls"))
    monkeypatch.setenv("TPW_CUSTODY_TLS_CA", str(tmp_path / "elsewhere" / "group-ca.crt"))
    monkeypatch.setenv("TPW_CUSTODY_THRESHOLD", "3")
    settings = ApiSettings()
    assert settings.custody_roster_path == tmp_path / "roster.json"
    assert settings.custody_tls_paths() == TlsPaths(
        certificate=tmp_path / "tls" / "coordinator.crt",
        key=tmp_path / "tls" / "coordinator.key",
        ca=tmp_path / "elsewhere" / "group-ca.crt",
    )
    assert settings.custody_threshold == 3


@pytest.mark.parametrize(
    ("variable", "value"), [("TPW_CUSTODY_THRESHOLD", "1"), ("TPW_CUSTODY_TIMEOUT_SECONDS", "0")]
)
def test_nonsense_custody_values_are_refused(monkeypatch: pytest.MonkeyPatch, variable: str, value: str):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        ApiSettings()
