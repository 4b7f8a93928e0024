"""The local stack's configuration and how it reports: its settings (ports, chain ids, paths), the one error
it raises when it cannot start, and the numbered progress lines a person follows during a long start-up.
"""

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.paths import PROJECT_ROOT


class DevnetSettings(BaseSettings):
    """Ports, chain ids and paths of the local stack (env prefix TPW_, e.g. TPW_L1_PORT=18545)."""

    model_config = SettingsConfigDict(env_prefix="TPW_", extra="ignore")

    l1_port: int = 8545
    l2_port: int = 9545
    l1_chain_id: int = 31337
    l2_chain_id: int = 31338
    api_port: int = 8000
    bank_port: int = 8700  # the sandbox bank (ISO 20022), started before the API
    card_processor_port: int = 8610  # the sandbox card processor (payments.sandbox.card)
    kyc_provider_port: int = 8620  # the sandbox KYC provider (payments.sandbox.kyc)
    node_base_port: int = 7101  # signer node i listens on node_base_port + i - 1
    custody_nodes: int = 3
    custody_threshold: int = 2
    var_dir: Path = PROJECT_ROOT / "var"
    deployments_dir: Path = PROJECT_ROOT / "deployments"
    database_url: str | None = Field(default=None, repr=False)  # a PostgreSQL URL: the API runs on it
    devnet_schema: str = Field(default="tpw_devnet", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    anchor_velocity: int = 600  # Anchor signatures the nodes' devnet policy allows an hour
    perp_price_interval_seconds: float = Field(default=0.5, gt=0)  # the API's perpetual price loop
    settlement_batch_age_seconds: float = Field(default=1.0, ge=0)  # the anchorer cuts a batch this old
    block_time_seconds: int = Field(default=1, ge=1)  # both anvils mine a block this often (and per tx)
    l1_challenge_window_seconds: int = Field(default=10, ge=0)  # the guardian may veto a withdrawal batch


class StackError(RuntimeError):
    """The stack cannot start; the message is one line naming the cause."""


class Progress:
    """Numbered, timed progress lines so a person can follow a long start-up."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        began = time.monotonic()
        print(f"  … {text}", end="", flush=True)
        try:
            yield
        except BaseException:
            print("  FAILED", flush=True)
            raise
        print(f"  ok ({time.monotonic() - began:.1f}s)", flush=True)

    @staticmethod
    def heading(text: str) -> None:
        print(f"\n== {text}", flush=True)

    @staticmethod
    def note(text: str) -> None:
        print(f"     {text}", flush=True)


def exit_on_stack_error(error: Exception) -> None:
    """One clear line and a non-zero exit: what `make demo`/`make devnet` print when they cannot start."""
    print(f"\nerror: {error}", file=sys.stderr, flush=True)
    sys.exit(2)
