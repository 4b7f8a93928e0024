"""The payments watcher's settings: one pydantic-settings class, read from `TPW_PAYMENTS_*` variables once.

The watcher sends no transaction and holds no key: it reads the chain and writes the API's database, whose
URL (it may carry a password) is never printed.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.paths import PROJECT_ROOT


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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> WatcherSettings:
    """The process's settings, read from the environment on first use and then kept."""
    return WatcherSettings()
