"""The settlement anchorer's settings: one pydantic-settings class, read from `TPW_SETTLEMENT_*` once.

The anchorer reads the API's database (the settled trades) and writes its batch tables, asks the API's
custody coordinator for signatures, and sends anchors from a relayer account. The database URL (it may carry
a password) is never printed; the API key (scope `custody:sign`) and the relayer's private key are read from
files whose paths are settings (`relay.secrets.read_secret`), never from the environment.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.paths import PROJECT_ROOT


class AnchorerSettings(BaseSettings):
    """Configuration of one anchorer process; see each field's description."""

    model_config = SettingsConfigDict(
        env_prefix="TPW_SETTLEMENT_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    rpc_url: str = Field(
        default="http://127.0.0.1:8545", description="JSON-RPC URL of the chain.", repr=False
    )
    deployments_network: str = Field(default="local", description="Network of deployments/<name>.json.")
    deployments_dir: Path = Field(default=PROJECT_ROOT / "deployments", description="The registry's folder.")
    anchor_name: str = Field(default="SettlementAnchor", description="The anchor's name in the registry.")
    treasury_name: str = Field(default="MultisigTreasury", description="The treasury paying withdrawals.")
    livemode: bool = Field(
        default=False, description="Whether this chain pays live withdrawals (mainnet) or sandbox ones."
    )
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'tpwallet.db'}",
        description="SQLAlchemy URL of the API's database, where settled trades and batches live.",
        repr=False,
    )
    api_url: str = Field(default="http://127.0.0.1:8000", description="The API, for custody sign requests.")
    api_key_file: Path = Field(description="File holding an API key with `custody:sign`.")
    relayer_key_file: Path = Field(description="File holding the hex private key that pays the anchors' gas.")
    custody_key_id: str = Field(default="treasury", description="The custody group key that signs anchors.")
    max_trades: int = Field(default=1_000, ge=1, le=16_384, description="A batch is cut at this many trades.")
    max_age_seconds: float = Field(
        default=60.0, ge=0, description="... or once its oldest trade has waited this long."
    )
    confirmations: int = Field(default=1, ge=0, description="Blocks an anchor is buried under when recorded.")
    poll_interval_seconds: float = Field(default=2.0, gt=0, description="Pause between rounds.")
    sign_timeout_seconds: float = Field(default=60.0, gt=0, description="How long a signature may take.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> AnchorerSettings:
    """The process's settings, read from the environment on first use and then kept."""
    return AnchorerSettings()  # type: ignore[call-arg]  # the required fields come from the environment
