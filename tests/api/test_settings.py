"""ApiSettings: environment prefix, defaults, secrets refused outside dev, nothing secret in reprs."""

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from api.settings import ApiSettings, get_settings
from chain.paths import PROJECT_ROOT


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees only the TPW_ variables it sets itself."""
    for name in [name for name in os.environ if name.startswith("TPW_")]:
        monkeypatch.delenv(name)


class SettingsWithSecret(ApiSettings):
    """What ApiSettings becomes once it has a secret (an admin API key, say)."""

    admin_api_key: SecretStr = SecretStr("changethis")


def test_defaults_match_the_devnet():
    settings = ApiSettings()
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'tpwallet.db'}"
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert settings.rpc_url("l1") == "http://127.0.0.1:8545"
    assert settings.rpc_url("l2") == "http://127.0.0.1:9545"
    assert settings.deployments_network("l1") == "local"
    assert settings.deployments_network("l2") == "l2devnet"
    assert settings.deployments_dir == PROJECT_ROOT / "deployments"
    assert settings.environment == "dev"


def test_environment_variables_with_the_tpw_prefix_are_read(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TPW_API_PORT", "9100")
    monkeypatch.setenv("TPW_DATABASE_URL", "postgresql+psycopg://tpw@127.0.0.1:5432/tpw")
    monkeypatch.setenv("TPW_LOG_JSON", "true")
    monkeypatch.setenv("TPW_DEPLOYMENTS_DIR", "/srv/deployments")
    settings = ApiSettings()
    assert settings.api_port == 9100
    assert settings.database_url == "postgresql+psycopg://tpw@127.0.0.1:5432/tpw"
    assert settings.log_json is True
    assert settings.deployments_dir == Path("/srv/deployments")


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TPW_ENVIRONMENT", "staging")
    with pytest.raises(ValidationError, match="environment"):
        ApiSettings()


@pytest.mark.parametrize("placeholder", ["", "  ", "changethis", "CHANGEME", "secret"])
def test_prod_refuses_a_placeholder_secret(placeholder: str):
    with pytest.raises(ValidationError, match="TPW_ADMIN_API_KEY must be set") as raised:
        SettingsWithSecret(environment="prod", admin_api_key=SecretStr(placeholder))
    assert "input_value" not in str(raised.value)


def test_prod_accepts_a_real_secret_and_dev_accepts_the_placeholder():
    real = "k3Jx9-2vQz_real-admin-key"
    assert (
        SettingsWithSecret(environment="prod", admin_api_key=SecretStr(real)).admin_api_key.get_secret_value()
        == real
    )
    assert SettingsWithSecret(environment="dev").admin_api_key.get_secret_value() == "changethis"


def test_a_refused_secret_is_not_echoed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TPW_ENVIRONMENT", "prod")
    monkeypatch.setenv("TPW_DATABASE_URL", "postgresql+psycopg://tpw:hunter2-db-password@db:5432/tpw")
    with pytest.raises(ValidationError) as raised:
        SettingsWithSecret()
    assert "hunter2" not in str(raised.value)


def test_repr_hides_urls_that_may_carry_credentials():
    settings = ApiSettings(
        database_url="postgresql+psycopg://tpw:hunter2@db:5432/tpw",
        l1_rpc_url="https://mainnet.example/v3/rpc-api-key-1",
        l2_rpc_url="https://l2.example/v3/rpc-api-key-2",
    )
    text = repr(settings) + str(settings)
    assert "hunter2" not in text
    assert "rpc-api-key" not in text


def test_get_settings_reads_once():
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
    finally:
        get_settings.cache_clear()
