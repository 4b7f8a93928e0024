"""Helpers of the MultisigTreasury tests: a driver that signs as the owners and as the custody group.

Signatures are made the way production makes them: owners' ECDSA through `chain.treasury.sign_digest` and
`collect_signatures`, the custody group's through a full FROST round (`tests.helpers.frost_signing`). The
relayer that submits is an Ape test account holding no role in the treasury.
"""

import dataclasses
from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount

from chain.intents import ZERO_ADDRESS, TreasuryTx
from chain.reverts import revert_reason
from chain.treasury import CustodyTransfer, OnchainSignature, collect_signatures, sign_digest
from tests.helpers.frost_signing import Key, sign_with_key

HOUR = 3_600
DAY = 86_400
QUEUE_DELAY = DAY
TOKEN_LIMIT = 1_000 * 10**6
"""The custody key's daily tUSD limit in the tests: 1,000 tUSD."""
ETHER_LIMIT = 10**18
"""The custody key's daily ether limit in the tests: 1 ether."""
TOKEN_FUNDS = 1_000_000 * 10**6
ETHER_FUNDS = 100 * 10**18
THRESHOLD = 2
OWNER_COUNT = 3


def travel_to(chain: Any, timestamp: int) -> None:
    """Mines a block at `timestamp`, so views and the next transaction run at or after it."""
    chain.mine(timestamp=timestamp)


def noon_of_next_day(chain: Any) -> int:
    """Noon (UTC) of the day after the latest block's: a time from which a test can plan a day's transfers."""
    return (chain.blocks.head.timestamp // DAY + 1) * DAY + DAY // 2


@dataclasses.dataclass
class TreasuryDriver:
    """A deployed MultisigTreasury and the authorities that drive it in a test."""

    contract: Any
    owners: list[LocalAccount]
    custody_key: Key
    relayer: Any
    chain: Any

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @property
    def chain_id(self) -> int:
        return int(self.chain.chain_id)

    def deadline(self) -> int:
        """A deadline an hour past the next block's timestamp (never before the latest block's)."""
        return max(int(self.chain.pending_timestamp), int(self.chain.blocks.head.timestamp) + 1) + HOUR

    # owners

    def transfer_tx(self, to: str, token: str, amount: int, **changes: Any) -> TreasuryTx:
        """An owners' TreasuryTx moving `amount` of `token` at the treasury's next nonce."""
        fields: dict[str, Any] = {
            "to": to,
            "token": token,
            "amount": amount,
            "data": b"",
            "nonce": int(self.contract.owners_nonce()),
            "deadline": self.deadline(),
        }
        fields.update(changes)
        return TreasuryTx(**fields)

    def self_call_tx(self, function: str, *args: Any, **changes: Any) -> TreasuryTx:
        """An owners' TreasuryTx that makes the treasury call its own `function(*args)`."""
        data = bytes(getattr(self.contract, function).encode_input(*args))
        return self.transfer_tx(self.address, ZERO_ADDRESS, 0, data=data, **changes)

    def owner_signatures(
        self, tx: TreasuryTx, signers: Sequence[LocalAccount] | None = None, *, chain_id: int | None = None
    ) -> bytes:
        """`signers`' signatures of `tx` (default: the first THRESHOLD owners), sorted by signer."""
        chosen = self.owners[:THRESHOLD] if signers is None else signers
        digest = tx.digest(chain_id or self.chain_id, self.address)
        signatures = [sign_digest(bytes(signer.key), digest) for signer in chosen]
        return collect_signatures(digest, signatures, [signer.address for signer in chosen], len(chosen))

    def submit(
        self, tx: TreasuryTx, signatures: bytes | None = None, *, sender: Any = None, **options: Any
    ) -> Any:
        """Submits `tx` with the owners' signatures (by default the first THRESHOLD owners sign); returns the
        receipt whether its call succeeded or failed (`options`: Ape transaction options such as gas)."""
        blob = self.owner_signatures(tx) if signatures is None else signatures
        return self.contract.execute_with_owners(
            tx.to,
            tx.token,
            tx.amount,
            tx.data,
            tx.nonce,
            tx.deadline,
            blob,
            sender=sender or self.relayer,
            **options,
        )

    def execute(self, tx: TreasuryTx, signatures: bytes | None = None, *, sender: Any = None) -> Any:
        """Submits `tx` as `submit` does and insists its call succeeded (OwnersExecuted, no failure)."""
        receipt = self.submit(tx, signatures, sender=sender)
        failures = receipt.events.filter(self.contract.OwnersExecutionFailed)
        assert not failures, f"the owners' call failed: {revert_reason(bytes(failures[0].revert_data))}"
        return receipt

    def execute_failing(self, tx: TreasuryTx, signatures: bytes | None = None, *, sender: Any = None) -> str:
        """Submits `tx`, whose call must fail: checks the nonce was consumed all the same and the failure
        logged (OwnersExecutionFailed, no OwnersExecuted); returns the failure's revert reason."""
        receipt = self.submit(tx, signatures, sender=sender)
        contract = self.contract
        (failure,) = receipt.events.filter(contract.OwnersExecutionFailed)
        assert (failure.nonce, failure.to, failure.token, failure.amount) == (
            tx.nonce,
            tx.to,
            tx.token,
            tx.amount,
        )
        assert bytes(failure.digest) == tx.digest(self.chain_id, self.address)
        assert not receipt.events.filter(contract.OwnersExecuted)
        assert contract.owners_nonce() == tx.nonce + 1
        return revert_reason(bytes(failure.revert_data))

    def configure(self, function: str, *args: Any) -> Any:
        """Has the owners make the treasury call its own `function(*args)`; returns the receipt."""
        return self.execute(self.self_call_tx(function, *args))

    def configure_failing(self, function: str, *args: Any) -> str:
        """Has the owners try a configuration call the treasury refuses; returns its revert reason."""
        return self.execute_failing(self.self_call_tx(function, *args))

    # custody

    def custody_transfer(self, to: str, token: str, amount: int, **changes: Any) -> CustodyTransfer:
        """A CustodyTransfer of `amount` of `token` at the token's next custody nonce."""
        fields: dict[str, Any] = {
            "to": to,
            "token": token,
            "amount": amount,
            "nonce": int(self.contract.custody_nonce(token)),
            "deadline": self.deadline(),
        }
        fields.update(changes)
        return CustodyTransfer(**fields)

    def custody_sign(
        self, transfer: CustodyTransfer, key: Key | None = None, *, chain_id: int | None = None
    ) -> OnchainSignature:
        """The custody group's FROST signature of `transfer` (another group's if `key` is given)."""
        digest = transfer.digest(chain_id or self.chain_id, self.address)
        return sign_with_key(key or self.custody_key, digest).onchain()

    def custody_execute(
        self,
        transfer: CustodyTransfer,
        signature: OnchainSignature | None = None,
        *,
        key: Key | None = None,
        sender: Any = None,
    ) -> Any:
        """Submits `transfer`, signed by the custody group (or `key`'s group) unless `signature` is given."""
        group_key = (key or self.custody_key)[1].group_public_key
        rx, ry, z = signature or self.custody_sign(transfer, key)
        return self.contract.execute_with_custody(
            transfer.to,
            transfer.token,
            transfer.amount,
            transfer.nonce,
            transfer.deadline,
            group_key.x,
            group_key.y & 1,
            rx,
            ry,
            z,
            sender=sender or self.relayer,
        )

    def execute_queued(self, transfer: CustodyTransfer, *, sender: Any = None) -> Any:
        """Executes a queued custody transfer (anyone may)."""
        return self.contract.execute_queued(
            transfer.to, transfer.token, transfer.amount, transfer.nonce, sender=sender or self.relayer
        )

    def transfer_id(self, transfer: CustodyTransfer) -> bytes:
        return bytes(
            self.contract.queued_transfer_id(transfer.to, transfer.token, transfer.amount, transfer.nonce)
        )


def deploy_treasury(
    project: Any,
    deployer: Any,
    owners: Sequence[LocalAccount],
    threshold: int,
    custody_key: Key | None,
    limits: Sequence[tuple[str, int]],
    delay: int = QUEUE_DELAY,
) -> Any:
    """A MultisigTreasury as a test needs it (no custody key when `custody_key` is None)."""
    x, y = custody_key[1].group_public_key.coordinates() if custody_key else (0, 0)
    return project.MultisigTreasury.deploy(
        [owner.address for owner in owners], threshold, x, y, list(limits), delay, sender=deployer
    )


def deploy_twin(
    project: Any, deployer: Any, treasury: TreasuryDriver, token: Any, limits: Sequence[tuple[str, int]]
) -> TreasuryDriver:
    """A second treasury with `treasury`'s owners, threshold and custody key, the custody `limits` and
    TOKEN_FUNDS of `token`: what is signed for one must not move anything in the other."""
    twin = deploy_treasury(project, deployer, treasury.owners, THRESHOLD, treasury.custody_key, limits)
    token.mint(twin, TOKEN_FUNDS, sender=deployer)
    return TreasuryDriver(twin, treasury.owners, treasury.custody_key, treasury.relayer, treasury.chain)


def queue(treasury: TreasuryDriver, to: str, token: str, amount: int) -> tuple[CustodyTransfer, Any]:
    """Signs and submits a transfer the limit does not allow; returns it and the receipt that queued it."""
    transfer = treasury.custody_transfer(to, token, amount)
    receipt = treasury.custody_execute(transfer)
    assert receipt.events.filter(treasury.contract.TransferQueued), "the transfer was expected to be queued"
    return transfer, receipt
