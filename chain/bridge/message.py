"""A bridge message and its leaf: what the destination bridge proves against an attested batch root.

The leaf is keccak256(abi.encode(srcChainId, dstChainId, srcBridge, dstBridge, nonce, srcToken, dstToken,
sender, recipient, amount)), `chain.merkle.leaf_hash` of the ten fields. The route (both chains and both
bridges) is in every leaf, so a message is only ever valid on the one bridge it was sent to: a redeployed
bridge, or the same bridge on a fork with another chain id, computes another leaf and refuses the proof. The
nonce is the sending bridge's sequence (1, 2, 3, ...); the destination pays each nonce out once.

The contracts take a message as the tuple `Message.onchain()` (nonce, srcToken, dstToken, sender, recipient,
amount) and fill in the route themselves, from their own chain id and address and the linked bridge's.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Self

from eth_utils import is_checksum_address

from chain.errors import ChainError
from chain.merkle import leaf_hash

MESSAGE_TYPES = (
    "uint256",  # srcChainId
    "uint256",  # dstChainId
    "address",  # srcBridge
    "address",  # dstBridge
    "uint64",  # nonce
    "address",  # srcToken
    "address",  # dstToken
    "address",  # sender
    "address",  # recipient
    "uint256",  # amount
)
"""The ABI types of a leaf's fields, in order."""

UINT64_LIMIT = 2**64
UINT256_LIMIT = 2**256


class BridgeError(ChainError):
    """A bridge message or batch that cannot be built: a field out of range, a message of another route."""


OnchainMessage = tuple[int, str, str, str, str, int]
"""A message as the contracts' `Message` struct takes it: (nonce, srcToken, dstToken, sender, recipient,
amount)."""


@dataclass(frozen=True)
class Route:
    """One direction of the bridge: from `src_bridge` on chain `src_chain_id` to `dst_bridge` on
    `dst_chain_id`. Deposits go L1 -> L2, withdrawals L2 -> L1."""

    src_chain_id: int
    dst_chain_id: int
    src_bridge: str
    dst_bridge: str

    def __post_init__(self) -> None:
        for name in ("src_chain_id", "dst_chain_id"):
            _check_uint(name, getattr(self, name), UINT256_LIMIT)
        for name in ("src_bridge", "dst_bridge"):
            _check_address(name, getattr(self, name))
        if (self.src_chain_id, self.src_bridge) == (self.dst_chain_id, self.dst_bridge):
            raise BridgeError("a bridge route joins two different bridges")

    def reverse(self) -> "Route":
        """The route back."""
        return Route(self.dst_chain_id, self.src_chain_id, self.dst_bridge, self.src_bridge)


@dataclass(frozen=True)
class Message:
    """One transfer across a route: `amount` base units of `src_token` sent by `sender`, paid out in
    `dst_token` to `recipient`, with the source bridge's `nonce`."""

    route: Route
    nonce: int
    src_token: str
    dst_token: str
    sender: str
    recipient: str
    amount: int

    def __post_init__(self) -> None:
        _check_uint("nonce", self.nonce, UINT64_LIMIT)
        _check_uint("amount", self.amount, UINT256_LIMIT)
        for name in ("src_token", "dst_token", "sender", "recipient"):
            _check_address(name, getattr(self, name))

    @classmethod
    def from_event(cls, route: Route, args: Any) -> Self:
        """The message a `Deposited` (L1) or `Withdrawn` (L2) event's arguments describe, on `route`."""
        remote_token = args["l2_token"] if "l2_token" in args else args["l1_token"]
        remote_recipient = args["l2_recipient"] if "l2_recipient" in args else args["l1_recipient"]
        return cls(
            route=route,
            nonce=int(args["nonce"]),
            src_token=str(args["token"]),
            dst_token=str(remote_token),
            sender=str(args["sender"]),
            recipient=str(remote_recipient),
            amount=int(args["amount"]),
        )

    def values(self) -> tuple[Any, ...]:
        """The ten leaf fields in `MESSAGE_TYPES` order."""
        route = self.route
        return (
            route.src_chain_id,
            route.dst_chain_id,
            route.src_bridge,
            route.dst_bridge,
            self.nonce,
            self.src_token,
            self.dst_token,
            self.sender,
            self.recipient,
            self.amount,
        )

    def fields(self) -> dict[str, int | str]:
        """What a message carries beyond its route, as stored and sent to the signer nodes (the amount, a
        uint256, as a decimal string)."""
        return {
            "nonce": self.nonce,
            "src_token": self.src_token,
            "dst_token": self.dst_token,
            "sender": self.sender,
            "recipient": self.recipient,
            "amount": str(self.amount),
        }

    def leaf(self) -> bytes:
        """The 32-byte leaf the batch tree is built over and the destination bridge recomputes."""
        return leaf_hash(MESSAGE_TYPES, self.values())

    def onchain(self) -> OnchainMessage:
        """The contracts' `Message` struct."""
        return (self.nonce, self.src_token, self.dst_token, self.sender, self.recipient, self.amount)


def _check_uint(name: str, value: int, limit: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < limit:
        raise BridgeError(f"{name} must be an integer in [0, {limit}), got {value!r}")


def _check_address(name: str, value: str) -> None:
    if not isinstance(value, str) or not _is_checksummed(value):
        raise BridgeError(f"{name} must be a checksummed address, got {value!r}")


@lru_cache(maxsize=4_096)
def _is_checksummed(value: str) -> bool:
    """`is_checksum_address`, remembered: a route's tokens and senders recur in message after message, and
    each check is a keccak."""
    return bool(is_checksum_address(value))
