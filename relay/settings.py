"""The subscription keeper's settings: one pydantic-settings class, read from `TPW_KEEPER_*` variables once.

The relayer key only pays gas (the keeper holds no authority over subscriptions), but it holds ether, so it is
a secret: read from the file `TPW_KEEPER_RELAYER_KEY_FILE` names (never from the environment), never printed,
never in a repr or an error. Outside dev, a missing key or one of the devnet's publicly known keys is refused.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from eth_account.signers.local import LocalAccount
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.dev_accounts import dev_accounts
from chain.paths import PROJECT_ROOT
from relay.secrets import account_from_file


class KeeperSettings(BaseSettings):
    """Configuration of one keeper process; see each field's description."""

    model_config = SettingsConfigDict(
        env_prefix="TPW_KEEPER_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    environment: Literal["dev", "prod"] = Field(
        default="dev", description="`prod` refuses a missing relayer key or a devnet one."
    )
    rpc_url: str = Field(
        default="http://127.0.0.1:8545", description="JSON-RPC URL of the chain.", repr=False
    )
    rpc_timeout_seconds: float = Field(default=10.0, gt=0, le=120, description="Per-request RPC timeout.")
    deployments_network: str = Field(
        default="local", description="Ape network name whose deployments/<name>.json lists the manager."
    )
    deployments_dir: Path = Field(
        default=PROJECT_ROOT / "deployments", description="Folder of the deployments registry files."
    )
    manager_name: str = Field(
        default="SubscriptionManager", description="The manager's name in the deployments registry."
    )
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'keeper.db'}",
        description="SQLAlchemy URL of the keeper's own state (cursor, retry schedule).",
        repr=False,
    )
    relayer_key_file: Path | None = Field(
        default=None, description="File holding the hex private key of the account that pays for charges."
    )
    confirmations: int = Field(
        default=2, ge=0, description="Blocks an event must be buried under to be read."
    )
    batch_size: int = Field(default=50, ge=1, le=256, description="Subscriptions per `charge_many`.")
    poll_interval_seconds: float = Field(default=5.0, gt=0, description="Pause between rounds.")
    max_blocks_per_scan: int = Field(default=2_000, ge=1, description="Most blocks read in one round.")
    retry_base_seconds: int = Field(
        default=60, ge=1, description="First wait after a charge that did not go through; doubles each time."
    )
    retry_max_seconds: int = Field(default=3_600, ge=1, description="Longest wait between retries.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _refuse_unusable_keys(self) -> Self:
        if self.environment == "dev":
            return self
        known = {bytes(account.key).hex() for account in dev_accounts()}
        if self.relayer_key_file is None or bytes(self.relayer().key).hex() in known:
            raise ValueError("TPW_KEEPER_RELAYER_KEY_FILE must hold a real key when environment is prod")
        return self

    def relayer(self) -> LocalAccount:
        """The relayer account; `ValueError` (without the key in it) if no usable key is set."""
        return account_from_file(
            self.relayer_key_file, "TPW_KEEPER_RELAYER_KEY_FILE", "the keeper needs an account to pay gas"
        )


@lru_cache(maxsize=1)
def get_settings() -> KeeperSettings:
    """The process's settings, read from the environment on first use and then kept."""
    return KeeperSettings()
