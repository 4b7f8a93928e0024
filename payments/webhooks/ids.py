"""Object ids (`we_`, `evt_`, `whd_`, `whs_` and 24 random hex digits) and the clock, in unix milliseconds."""

import secrets
import time


def new_id(prefix: str) -> str:
    """A fresh random id: `prefix`, an underscore, 96 random bits in hex."""
    return f"{prefix}_{secrets.token_hex(12)}"


def now_ms() -> int:
    """The wall clock in unix milliseconds, the unit of every time the webhooks' tables hold."""
    return time.time_ns() // 1_000_000
