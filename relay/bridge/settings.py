"""The bridge relay's settings: one pydantic-settings class, read from `TPW_BRIDGE_*` once.

The relay reads and writes the API's database (the `bridge_*` tables), asks the API's custody coordinator for
BridgeBatch signatures and sends attestations and claims from a relayer account. The database URL (it may
carry a password) is never printed; the API key (scope `custody:sign`) and the relayer's private key are
read from files whose paths are settings, never from the environment.
"""

import os
import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.bridge.contracts import CLAIM_GAS_PER_MESSAGE, claims_per_transaction
from chain.paths import PROJECT_ROOT


def default_holder() -> str:
    """This process's name on the leases it takes: host and pid, so two relays never share one."""
    return f"{socket.gethostname()}:{os.getpid()}"


class BridgeRelaySettings(BaseSettings):
    """Configuration of one relay process; see each field's description."""

    model_config = SettingsConfigDict(
        env_prefix="TPW_BRIDGE_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    l1_rpc_url: str = Field(default="http://127.0.0.1:8545", description="JSON-RPC URL of L1.", repr=False)
    l2_rpc_url: str = Field(default="http://127.0.0.1:9545", description="JSON-RPC URL of L2.", repr=False)
    l1_bridge: str = Field(description="The BridgeL1 contract's address.")
    l2_bridge: str = Field(description="The BridgeL2 contract's address.")
    l1_from_block: int = Field(
        default=0, ge=0, description="BridgeL1's deployment block (scans start there)."
    )
    l2_from_block: int = Field(default=0, ge=0, description="BridgeL2's deployment block.")
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'tpwallet.db'}",
        description="SQLAlchemy URL of the API's database, where the bridge tables live.",
        repr=False,
    )
    api_url: str = Field(default="http://127.0.0.1:8000", description="The API, for custody sign requests.")
    api_key_file: Path = Field(description="File holding an API key with `custody:sign`.")
    relayer_key_file: Path = Field(description="File holding the hex private key that pays the relay's gas.")
    custody_key_id: str = Field(default="treasury", description="The custody group key that signs batches.")
    confirmations: int = Field(default=2, ge=0, description="Blocks a message is buried under when read.")
    max_messages: int = Field(
        default=100, ge=1, le=16_384, description="A batch is cut at this many messages."
    )
    max_age_seconds: float = Field(default=5.0, ge=0, description="... or once its oldest waited this long.")
    claims_in_flight: int = Field(
        default=1_000,
        ge=1,
        le=16_384,
        description="Messages claimed together (in `claim_many` transactions sent back to back) before "
        "their receipts are awaited and the leases renewed.",
    )
    claim_gas_budget: int = Field(
        default=5_000_000,
        ge=CLAIM_GAS_PER_MESSAGE,
        le=30_000_000,
        description="Gas one `claim_many` transaction may use at worst: it carries this over "
        "`chain.bridge.contracts.CLAIM_GAS_PER_MESSAGE` messages (at most 128).",
    )
    lease_seconds: float = Field(default=30.0, gt=0, description="How long a batch's delivery lease lasts.")
    holder: str = Field(default_factory=default_holder, max_length=64, description="This relay's lease name.")
    poll_interval_seconds: float = Field(default=1.0, gt=0, description="Pause between rounds.")
    sign_timeout_seconds: float = Field(default=60.0, gt=0, description="How long a signature may take.")
    sign_retry_seconds: float = Field(
        default=2.0,
        gt=0,
        description="How often a sign request the nodes left pending (a message not yet at their depth) is "
        "attempted again (`POST /v1/custody/sign-requests/{id}/attempts`).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @property
    def claims_per_transaction(self) -> int:
        """Messages in one `claim_many`: the gas budget over a message's worst case, at most 128."""
        return claims_per_transaction(self.claim_gas_budget)


@lru_cache(maxsize=1)
def get_settings() -> BridgeRelaySettings:
    """The process's settings, read from the environment on first use and then kept."""
    return BridgeRelaySettings()  # type: ignore[call-arg]  # the required fields come from the environment
