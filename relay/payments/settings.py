"""The payments watcher's settings: one pydantic-settings class, read from `TPW_PAYMENTS_*` variables once.

The watcher reads the chain and writes the API's database, whose URL (it may carry a password) is never
printed. With `api_key_file` set it also pays stablecoin refunds: the custody API key (scope `custody:sign`)
and the relayer's private key (it only pays gas) are read from files whose paths are settings, never from
the environment.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from eth_account.signers.local import LocalAccount
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.paths import PROJECT_ROOT
from relay.secrets import account_from_file


class WatcherSettings(BaseSettings):
    """Configuration of one watcher process; see each field's description."""

    model_config = SettingsConfigDict(
        env_prefix="TPW_PAYMENTS_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    rpc_url: str = Field(
        default="http://127.0.0.1:8545", description="JSON-RPC URL of the chain.", repr=False
    )
    rpc_timeout_seconds: float = Field(default=10.0, gt=0, le=120, description="Per-request RPC timeout.")
    deployments_network: str = Field(
        default="local", description="Ape network name whose deployments/<name>.json lists the router."
    )
    deployments_dir: Path = Field(
        default=PROJECT_ROOT / "deployments", description="Folder of the deployments registry files."
    )
    router_name: str = Field(default="PaymentRouter", description="The router's name in the registry.")
    token_name: str = Field(default="tUSD", description="The accepted token's name in the registry.")
    currency: str = Field(default="USD", description="The currency the token stands for.")
    livemode: bool = Field(
        default=False, description="Whether this chain pays live intents (mainnet) or sandbox ones."
    )
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'tpwallet.db'}",
        description="SQLAlchemy URL of the API's database, where intents and the watcher's cursor live.",
        repr=False,
    )
    confirmations: int = Field(default=2, ge=0, description="Blocks a payment must be buried under.")
    poll_interval_seconds: float = Field(default=2.0, gt=0, description="Pause between rounds.")
    max_blocks_per_scan: int = Field(default=2_000, ge=1, description="Most blocks read in one window.")
    api_url: str = Field(default="http://127.0.0.1:8000", description="The API, for custody sign requests.")
    api_key_file: Path | None = Field(
        default=None, description="File holding an API key with `custody:sign`; unset: refunds are not paid."
    )
    relayer_key_file: Path | None = Field(
        default=None, description="File holding the hex private key that pays the payouts' gas."
    )
    custody_key_id: str = Field(default="treasury", description="The custody group key that signs payouts.")
    treasury_name: str = Field(default="MultisigTreasury", description="The treasury's name in the registry.")
    screening_list_dir: Path | None = Field(
        default=PROJECT_ROOT / "config" / "risk" / "sanctions",
        description="The sanctions list (OFAC SDN CSV files) payout addresses are screened against, the "
        "API's `TPW_SCREENING_LIST_DIR`; unset: payouts are not screened.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> WatcherSettings:
    """The process's settings, read from the environment on first use and then kept."""
    return WatcherSettings()


def relayer_from_file(path: Path | None) -> LocalAccount:
    """The account whose key `path` holds; `ValueError` (without the key in it) if there is none."""
    return account_from_file(path, "TPW_PAYMENTS_RELAYER_KEY_FILE", "paying refunds needs an account for gas")
