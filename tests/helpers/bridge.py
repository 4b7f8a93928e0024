"""What the bridge contract tests share: both bridges deployed and linked on one py-evm chain, and a driver
that plays the relay and the custody group (real FROST signatures over `chain.bridge` digests).

On one chain both bridges have the same chain id, so each is deployed with it as the other's chain id; the
routes still differ by their bridge addresses, which every leaf and every batch digest commits. It holds no
tests.
"""

from dataclasses import dataclass, field
from typing import Any

import ape

from chain.anchor import key_hint
from chain.bridge.batch import ZERO_ROOT, Batch
from chain.bridge.message import Message, Route
from tests.helpers.frost_signing import Key, sign_with_key

L1_WINDOW = 3600
"""The challenge window of withdrawals on L1 (seconds)."""
L2_WINDOW = 0
"""Deposits are claimable on L2 once attested."""
QUEUE_DELAY = 6 * 3600
"""How long a message over the rate limit waits."""
DAILY_LIMIT = 1_000_000 * 10**6
"""A million tUSD a day each way."""
USER_FUNDS = 10 * DAILY_LIMIT


@dataclass
class Side:
    """One bridge and the token it pays out."""

    bridge: Any
    token: Any
    roots: dict[int, bytes] = field(default_factory=dict)
    """seq -> root of each batch this driver attested here."""
    valid_seq: int = 0
    """The last seq not vetoed (the next batch's prevRoot is its root)."""


@dataclass
class BridgePair:
    """BridgeL1 escrowing tUSD and BridgeL2 minting its BridgedToken, linked, with their authorities."""

    l1: Side
    l2: Side
    key: Key
    guardian: Any
    relayer: Any
    chain: Any

    def route(self, destination: Side) -> Route:
        """The route whose messages `destination` pays out."""
        source = self.l1 if destination is self.l2 else self.l2
        return Route(
            int(self.chain.chain_id),
            int(self.chain.chain_id),
            str(source.bridge.address),
            str(destination.bridge.address),
        )

    def deposit(self, user: Any, amount: int, recipient: Any = None) -> Message:
        """`user` deposits `amount` tUSD for `recipient` (default: itself) on L2; the message sent."""
        self.l1.token.approve(self.l1.bridge, amount, sender=user)
        receipt = self.l1.bridge.deposit(self.l1.token, amount, recipient or user, sender=user)
        (event,) = receipt.events.filter(self.l1.bridge.Deposited)
        return Message.from_event(self.route(self.l2), event.event_arguments)

    def withdraw(self, user: Any, amount: int, recipient: Any = None) -> Message:
        """`user` burns `amount` of the bridged token for `recipient` (default: itself) on L1."""
        receipt = self.l2.bridge.withdraw(self.l2.token, amount, recipient or user, sender=user)
        (event,) = receipt.events.filter(self.l2.bridge.Withdrawn)
        return Message.from_event(self.route(self.l1), event.event_arguments)

    def bridge_over(self, user: Any, amount: int) -> None:
        """`user` deposits `amount` tUSD and the relay brings it to L2 (attested, claimed to `user`)."""
        message = self.deposit(user, amount)
        seq, batch = self.attest(self.l2, [message])
        self.claim(self.l2, seq, batch, message)

    def next_seq(self, side: Side) -> int:
        return max(side.roots, default=0) + 1

    def prev_root(self, side: Side) -> bytes:
        return side.roots[side.valid_seq] if side.valid_seq else ZERO_ROOT

    def sign(
        self,
        side: Side,
        batch: Batch,
        seq: int,
        prev_root: bytes,
        *,
        chain_id: int | None = None,
        verifying_contract: str | None = None,
        key: Key | None = None,
    ) -> tuple[int, int, int]:
        """The custody signature (rx, ry, z) of the batch, by default for `side`'s bridge on this chain."""
        intent = batch.intent(seq, prev_root)
        digest = intent.digest(
            int(self.chain.chain_id) if chain_id is None else chain_id,
            str(side.bridge.address) if verifying_contract is None else verifying_contract,
        )
        return sign_with_key(key or self.key, digest).onchain()

    def submit(
        self,
        side: Side,
        batch: Batch,
        seq: int,
        prev_root: bytes,
        signature: tuple[int, int, int] | None = None,
    ) -> Any:
        """Sends the batch with `signature` (default: a valid one) from the relayer; returns the receipt."""
        signature = signature or self.sign(side, batch, seq, prev_root)
        hint = key_hint(side.bridge.custody_key()[0])
        return side.bridge.attest(
            seq, batch.root, len(batch.messages), prev_root, *signature, hint, sender=self.relayer
        )

    def attest(self, side: Side, messages: list[Message]) -> tuple[int, Batch]:
        """Attests the next batch of `messages` on `side`, correctly chained; returns its seq and batch."""
        batch = Batch(self.route(side), messages)
        seq = self.next_seq(side)
        self.submit(side, batch, seq, self.prev_root(side))
        side.roots[seq] = batch.root
        side.valid_seq = seq
        return seq, batch

    def claim(self, side: Side, seq: int, batch: Batch, message: Message, sender: Any = None) -> Any:
        """Claims `message` from batch `seq` on `side`; returns the receipt."""
        return side.bridge.claim(seq, message.onchain(), batch.proof(message), sender=sender or self.relayer)

    def claim_many(
        self, side: Side, seq: int, batch: Batch, messages: list[Message], sender: Any = None
    ) -> Any:
        """Claims `messages` from batch `seq` on `side` in one `claim_many`; returns the receipt."""
        return side.bridge.claim_many(
            seq,
            [message.onchain() for message in messages],
            [batch.proof(message) for message in messages],
            sender=sender or self.relayer,
        )

    def past_window(self, side: Side, seq: int) -> None:
        """Mines a block at batch `seq`'s deadline on `side`, so its messages are claimable."""
        deadline = int(side.bridge.batch(seq)[1])
        if deadline > int(self.chain.blocks.head.timestamp):
            self.chain.mine(timestamp=deadline)


def deploy_pair(
    project: Any, deployer: Any, guardian: Any, relayer: Any, key: Key, l1_token: Any
) -> BridgePair:
    """Both bridges linked, tUSD and its bridged token allowlisted both ways with DAILY_LIMIT."""
    x, y = key[1].group_public_key.coordinates()
    chain_id = int(ape.chain.chain_id)
    l1 = project.BridgeL1.deploy(guardian, chain_id, x, y, L1_WINDOW, QUEUE_DELAY, sender=deployer)
    l2 = project.BridgeL2.deploy(guardian, chain_id, x, y, L2_WINDOW, QUEUE_DELAY, sender=deployer)
    l1.initialize(l2, sender=deployer)
    l2.initialize(l1, sender=deployer)
    l2_token = project.BridgedToken.deploy("TPWallet USD (bridged)", "tUSD.b", 6, l2, sender=deployer)
    l1.set_token(l1_token, l2_token, DAILY_LIMIT, sender=guardian)
    l2.set_token(l2_token, l1_token, DAILY_LIMIT, sender=guardian)
    return BridgePair(Side(l1, l1_token), Side(l2, l2_token), key, guardian, relayer, ape.chain)
