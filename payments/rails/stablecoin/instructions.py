"""How a payer pays an intent on-chain: the router, the token, the token amount and the intent id as bytes32.

Intent ids on-chain. The PaymentRouter keys payments by a bytes32; a payment intent's id (`pi_` and 24 hex
digits, ASCII) is written into it as its ASCII bytes, left-aligned and padded with zero bytes, the way
Solidity's `bytes32("pi_...")` literal encodes a short string. The mapping is reversible, so the watcher
reads the intent id straight out of a `Paid` event with no lookup table, and a payer (or a block explorer)
can read it too. Ids longer than 32 bytes, or not ASCII, have no key and cannot be paid on this rail.

Amounts: the token amount asked is `StablecoinConfig.token_amount` of the intent's amount, exactly.
"""

from dataclasses import dataclass
from typing import Final

from payments.rails.stablecoin.config import StablecoinConfig

INTENT_KEY_LENGTH: Final = 32


class NoIntentKey(ValueError):
    """The intent id cannot be written as a bytes32 (too long, not ASCII), or a bytes32 names no id."""


def intent_key(intent_id: str) -> bytes:
    """The bytes32 the router knows intent `intent_id` by (see the module docstring)."""
    try:
        raw = intent_id.encode("ascii")
    except UnicodeEncodeError:
        raise NoIntentKey(f"intent id {intent_id!r} is not ASCII") from None
    if not 0 < len(raw) <= INTENT_KEY_LENGTH or b"\x00" in raw:
        raise NoIntentKey(f"intent id {intent_id!r} does not fit a bytes32")
    return raw.ljust(INTENT_KEY_LENGTH, b"\x00")


def intent_id_of(key: bytes) -> str:
    """The intent id a router key holds; `NoIntentKey` if it holds none (a payer's made-up key)."""
    if len(key) != INTENT_KEY_LENGTH:
        raise NoIntentKey("a router key is 32 bytes")
    text = key.rstrip(b"\x00")
    try:
        intent_id = text.decode("ascii")
    except UnicodeDecodeError:
        raise NoIntentKey(f"router key 0x{key.hex()} is not an ASCII intent id") from None
    if not intent_id or not intent_id.isprintable() or intent_key(intent_id) != key:
        raise NoIntentKey(f"router key 0x{key.hex()} is not an intent id")
    return intent_id


@dataclass(frozen=True, slots=True)
class PaymentInstructions:
    """What a wallet needs to pay one intent: call `router.pay(intent_key, token, token_amount)` on
    `chain_id` (after approving the router), or `payWithPermit` with a permit for `token_amount`."""

    payment_intent_id: str
    chain_id: int
    router: str
    token: str
    token_symbol: str
    token_amount: int
    intent_key: str
    """0x-hex of the bytes32."""


def instructions_for(config: StablecoinConfig, intent_id: str, amount: int) -> PaymentInstructions:
    """How to pay intent `intent_id` of `amount` minor units of the config's currency."""
    return PaymentInstructions(
        payment_intent_id=intent_id,
        chain_id=config.chain_id,
        router=config.router,
        token=config.token,
        token_symbol=config.token_symbol,
        token_amount=config.token_amount(amount),
        intent_key="0x" + intent_key(intent_id).hex(),
    )
