"""The multisig treasury's Python face: its typed orders, owners' signatures collected in order, submission.

`contracts/MultisigTreasury.vy` moves funds on two authorities, each signing its own EIP-712 type under the
domain {"TPWallet", "1", chainId, treasury}:

- the owners sign a `chain.intents.TreasuryTx` (nonce: the treasury's `owners_nonce()`); `transfer_tx`
  builds a token or ether transfer, `call_tx` a call, `self_call_tx` a configuration change the treasury makes
  to itself. Each owner signs the digest (`sign_digest`, or a wallet's `eth_signTypedData_v4` of
  `tx.typed_data(...)`); `collect_signatures` checks every signature against the owner set, drops what is not
  needed and orders the rest by signer address, as the contract requires;
- the custody group key signs a `chain.intents.CustodyTransfer` (nonce: the token's `custody_nonce(token)`),
  a transfer and nothing else, after the custody nodes' policy allowed it (it is one of the intents they
  decode, `chain.intents.INTENT_TYPES`; this module re-exports it); its signature arrives as (R.x, R.y, z)
  (`custody.frost.Signature.onchain()`; this module imports nothing from `custody`, which sits above
  `chain`).

A relayer account submits both (`Treasury.submit_with_owners`, `submit_with_custody`): it pays gas and holds
no authority. For EIP-1271 the owners sign `TreasuryMessage(hash)` (`Treasury.message_digest`), never the bare
hash.

An owners' transaction whose call fails is spent all the same (Safe's semantics: nonce consumed,
`OwnersExecutionFailed` with the revert data); `submit_with_owners` raises `OwnersCallFailed` for it, because
the relayer's transaction itself succeeded. The owners void a transaction nobody executed with a rejection at
its nonce (`rejection_tx`). A queued custody transfer may be executed within `Treasury.queued_window`.
"""

import dataclasses
from collections.abc import Collection, Iterable
from typing import ClassVar, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys import keys
from eth_keys.exceptions import BadSignature, ValidationError
from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import FilterParams, TxReceipt

from chain import artifacts
from chain.errors import ChainError
from chain.intents import ZERO_ADDRESS, Bytes32, CustodyTransfer, Intent, TreasuryTx
from chain.payment_router import LOG_WINDOW_BLOCKS
from chain.reverts import revert_reason
from chain.transactions import send_call

CONTRACT_TYPE = "MultisigTreasury"
SIGNATURE_LENGTH = 65
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
V_OFFSET = 27
"""Ethereum's recovery ids are 27 + the parity of R's y."""

ERC20_CONTRACT_TYPE = "Token"

OnchainSignature = tuple[int, int, int]
"""A custody group signature as the contract takes it: (R.x, R.y, z)."""


class TreasuryError(ChainError):
    """A treasury order or signature set that the contract would refuse; never submit it."""


class SignatureError(TreasuryError, ValueError):
    """An owner's signature that is malformed, from a non-owner, repeated, or too few of them."""


class OwnersCallFailed(ChainError):
    """The owners' transaction ran and consumed its nonce, but its call or token transfer failed.

    Nothing moved and the signed transaction can never run again; the owners sign a new one if they still
    want the effect. `reason` is the failure's revert reason (or its data in hex), `receipt` the relayer's.
    """

    def __init__(self, nonce: int, reason: str, receipt: TxReceipt) -> None:
        self.nonce = nonce
        self.reason = reason
        self.receipt = receipt
        super().__init__(f"the owners' transaction {nonce} ran but its call failed: {reason}")


@dataclasses.dataclass(frozen=True)
class TreasuryMessage(Intent):
    """What the owners sign so the treasury vouches for `hash` under EIP-1271."""

    PRIMARY_TYPE: ClassVar[str] = "TreasuryMessage"

    hash: Bytes32


def transfer_tx(to: str, token: str, amount: int, nonce: int, deadline: int) -> TreasuryTx:
    """An owners' order to transfer `amount` of `token` (ZERO_ADDRESS: ether, sent with no call data)."""
    return TreasuryTx(to=to, token=token, amount=amount, data=b"", nonce=nonce, deadline=deadline)


def call_tx(to: str, data: bytes, nonce: int, deadline: int, *, value: int = 0) -> TreasuryTx:
    """An owners' order to call `to` with `data` and `value` wei."""
    return TreasuryTx(to=to, token=ZERO_ADDRESS, amount=value, data=data, nonce=nonce, deadline=deadline)


def rejection_tx(treasury: str, nonce: int, deadline: int) -> TreasuryTx:
    """An owners' order that does nothing but consume `nonce`: executed, it voids every other transaction
    the owners signed with that nonce (a plain call to the treasury, taken as an ether transfer of 0)."""
    return call_tx(to_checksum_address(treasury), b"", nonce, deadline)


def self_call_tx(treasury: str, call: ContractFunction, nonce: int, deadline: int) -> TreasuryTx:
    """An owners' order that makes the treasury call itself: how owners, limits, delay and keys change.

    `call` is the treasury function to run, e.g. `treasury.contract.functions.set_threshold(3)`.
    """
    if to_checksum_address(call.address) != to_checksum_address(treasury):
        raise TreasuryError(f"{call.fn_name} is bound to {call.address}, not to the treasury {treasury}")
    data = bytes.fromhex(call._encode_transaction_data()[2:])
    return call_tx(to_checksum_address(treasury), data, nonce, deadline)


def sign_digest(private_key: bytes, digest: bytes) -> bytes:
    """An owner's 65-byte signature r || s || v of a 32-byte digest, with a low s as the contract requires."""
    if len(digest) != 32:
        raise SignatureError("a digest is 32 bytes")
    signed = Account.unsafe_sign_hash(digest, private_key)
    r, s, v = signed.r, signed.s, signed.v
    if s > SECP256K1_ORDER // 2:  # the canonical twin (r, n - s), with R's y parity flipped, signs the same
        s, v = SECP256K1_ORDER - s, 2 * V_OFFSET + 1 - v
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


def signer_of(digest: bytes, signature: bytes) -> ChecksumAddress:
    """The address that signed `digest`; raises SignatureError for a signature the contract refuses."""
    if len(signature) != SIGNATURE_LENGTH:
        raise SignatureError(f"an owner's signature is {SIGNATURE_LENGTH} bytes, not {len(signature)}")
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    if v not in (V_OFFSET, V_OFFSET + 1):
        raise SignatureError(f"v is {v}, not 27 or 28")
    if s > SECP256K1_ORDER // 2:
        raise SignatureError("s is in the upper half of the curve order (a malleated signature)")
    try:
        public_key = keys.Signature(vrs=(v - V_OFFSET, r, s)).recover_public_key_from_msg_hash(digest)
    except (BadSignature, ValidationError) as error:
        raise SignatureError(f"the signature recovers no signer ({error})") from None
    return to_checksum_address(public_key.to_canonical_address())


def collect_signatures(
    digest: bytes, signatures: Iterable[bytes], owners: Collection[str], threshold: int
) -> bytes:
    """The signature blob the contract takes: `threshold` owners' signatures of `digest`, signers ascending.

    Every signature offered is checked; one that is malformed or not an owner's raises SignatureError (a
    sign that someone is signing what they should not), as do two from the same owner or fewer than
    `threshold`. Beyond `threshold`, the signers with the lowest addresses are kept (each costs gas).
    """
    owner_set = {to_checksum_address(owner) for owner in owners}
    by_signer: dict[int, bytes] = {}
    for signature in signatures:
        signer = signer_of(digest, signature)
        if signer not in owner_set:
            raise SignatureError(f"{signer} signed but is not an owner")
        if int(signer, 16) in by_signer:
            raise SignatureError(f"{signer} signed twice")
        by_signer[int(signer, 16)] = signature
    if len(by_signer) < threshold:
        raise SignatureError(f"{len(by_signer)} owners signed; the threshold is {threshold}")
    return b"".join(by_signer[signer] for signer in sorted(by_signer)[:threshold])


def check_onchain_signature(signature: OnchainSignature) -> OnchainSignature:
    """`signature` if it has the contract's shape, three ints (R.x, R.y, z); else TreasuryError."""
    if len(signature) != 3 or not all(isinstance(part, int) and part >= 0 for part in signature):
        raise TreasuryError("a custody signature for the contract is three non-negative ints: (R.x, R.y, z)")
    return signature


@dataclasses.dataclass(frozen=True, slots=True)
class CustodyTransferLog:
    """One custody transfer of a token made at once, as the chain records it: the treasury's
    `CustodyTransferred` (token, nonce) and the token's own `Transfer` out of the treasury that follows it in
    the same transaction (recipient, amount: the event keeps them out to save gas). `log_index` is the
    `CustodyTransferred` log's."""

    token: ChecksumAddress
    nonce: int
    to: ChecksumAddress
    amount: int
    tx_hash: str
    log_index: int
    block_number: int


class Treasury:
    """A deployed `MultisigTreasury`, through plain web3 (the API and the relay do not run under Ape)."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.contract: Contract = artifacts.contract(w3, CONTRACT_TYPE, address)
        self.address: ChecksumAddress = self.contract.address

    @property
    def chain_id(self) -> int:
        """The chain id of the node `w3` speaks to (what the digests bind)."""
        return int(self.w3.eth.chain_id)

    def owners_nonce(self) -> int:
        """The owners' next TreasuryTx nonce."""
        return int(self.contract.functions.owners_nonce().call())

    def owners(self) -> list[ChecksumAddress]:
        """The owners, in the contract's order."""
        return [to_checksum_address(owner) for owner in self.contract.functions.get_owners().call()]

    def threshold(self) -> int:
        """How many owners must sign."""
        return int(self.contract.functions.threshold().call())

    def custody_nonce(self, token: str) -> int:
        """The token's next custody nonce (ZERO_ADDRESS: ether)."""
        return int(self.contract.functions.custody_nonce(token).call())

    def custody_available(self, token: str) -> int:
        """How much of `token` a custody transfer may move now without being queued."""
        return int(self.contract.functions.custody_available(token).call())

    def queued_window(self, transfer: CustodyTransfer) -> tuple[int, int] | None:
        """When the queued `transfer` may be executed, (first, last) timestamp inclusive; None if it is not
        queued (never, executed, cancelled) or a custody key change voided it. Execution also needs the
        token's custody limit to be non-zero (a limit of 0 freezes the token)."""
        transfer_id = self.contract.functions.queued_transfer_id(
            transfer.to, transfer.token, transfer.amount, transfer.nonce
        ).call()
        eta = int(self.contract.functions.queued_eta(transfer_id).call())
        if eta == 0:
            return None
        return eta, eta + int(self.contract.functions.QUEUE_WINDOW().call())

    def custody_key(self) -> tuple[int, int]:
        """The custody group key as the contract holds it: (x, parity of y); (0, 0) when there is none."""
        return (
            int(self.contract.functions.custody_pk_x().call()),
            int(self.contract.functions.custody_pk_parity().call()),
        )

    def tx_digest(self, tx: TreasuryTx) -> bytes:
        """The digest the owners sign for `tx` on this treasury and chain."""
        return tx.digest(self.chain_id, self.address)

    def custody_digest(self, transfer: CustodyTransfer) -> bytes:
        """The digest the custody group signs for `transfer` on this treasury and chain."""
        return transfer.digest(self.chain_id, self.address)

    def message_digest(self, message_hash: bytes) -> bytes:
        """The digest the owners sign so that `isValidSignature(message_hash, ...)` holds."""
        return TreasuryMessage(hash=message_hash).digest(self.chain_id, self.address)

    def collect(self, tx: TreasuryTx, signatures: Iterable[bytes]) -> bytes:
        """`collect_signatures` for `tx` against the owners and threshold the contract holds now."""
        return collect_signatures(self.tx_digest(tx), signatures, self.owners(), self.threshold())

    def execute_with_owners(self, tx: TreasuryTx, signatures: bytes) -> ContractFunction:
        """The contract call that executes `tx` with the collected `signatures`."""
        return self.contract.functions.execute_with_owners(
            tx.to, tx.token, tx.amount, tx.data, tx.nonce, tx.deadline, signatures
        )

    def execute_with_custody(
        self, transfer: CustodyTransfer, signature: OnchainSignature
    ) -> ContractFunction:
        """The contract call that executes (or queues) the custody-signed `transfer` under the current key."""
        pk_x, pk_parity = self.custody_key()
        if pk_x == 0:
            raise TreasuryError(f"the treasury {self.address} has no custody key")
        return self.contract.functions.execute_with_custody(
            transfer.to,
            transfer.token,
            transfer.amount,
            transfer.nonce,
            transfer.deadline,
            pk_x,
            pk_parity,
            *check_onchain_signature(signature),
        )

    def execute_queued(self, transfer: CustodyTransfer) -> ContractFunction:
        """The contract call that executes `transfer` once it was queued, within its `queued_window`."""
        return self.contract.functions.execute_queued(
            transfer.to, transfer.token, transfer.amount, transfer.nonce
        )

    def submit_with_owners(self, relayer: LocalAccount, tx: TreasuryTx, signatures: bytes) -> TxReceipt:
        """Sends `execute_with_owners` from `relayer`; raises TransactionFailed with the contract's reason if
        the treasury refused it (nonce kept), OwnersCallFailed if it ran and its call failed (nonce spent)."""
        receipt = send_call(self.w3, relayer, self.execute_with_owners(tx, signatures))
        for event in self.events(receipt):
            if event.event == "OwnersExecutionFailed":
                data = bytes.fromhex(str(event.args["revert_data"]).removeprefix("0x"))
                raise OwnersCallFailed(tx.nonce, revert_reason(data), receipt)
        return receipt

    def submit_with_custody(
        self, relayer: LocalAccount, transfer: CustodyTransfer, signature: OnchainSignature
    ) -> TxReceipt:
        """Sends `execute_with_custody` from `relayer`; raises TransactionFailed with the contract's reason.

        Whether the transfer was made or queued shows in the receipt's events (CustodyTransferred or
        TransferQueued)."""
        return send_call(self.w3, relayer, self.execute_with_custody(transfer, signature))

    def submit_queued(self, relayer: LocalAccount, transfer: CustodyTransfer) -> TxReceipt:
        """Sends `execute_queued` from `relayer`; raises TransactionFailed with the contract's reason."""
        return send_call(self.w3, relayer, self.execute_queued(transfer))

    def events(self, receipt: TxReceipt) -> list[artifacts.DecodedEvent]:
        """The treasury's events in `receipt` (a token's own logs are left out)."""
        return artifacts.decode_receipt_events(self.w3, receipt, {self.address: CONTRACT_TYPE})

    def custody_transfers(self, token: str, from_block: int, to_block: int) -> list[CustodyTransferLog]:
        """The custody transfers of `token` (an ERC-20) made in blocks [`from_block`, `to_block`], oldest
        first. A transfer queued over the limit is not one until `execute_queued` runs it, which logs
        `QueuedTransferExecuted`, not `CustodyTransferred`: it is not listed."""
        token = to_checksum_address(token)
        erc20 = artifacts.contract(self.w3, ERC20_CONTRACT_TYPE, token)
        transferred, moved = self.contract.events.CustodyTransferred().topic, erc20.events.Transfer().topic
        found: list[CustodyTransferLog] = []
        for first in range(from_block, to_block + 1, LOG_WINDOW_BLOCKS):
            params: FilterParams = {
                "address": [self.address, token],
                "fromBlock": first,
                "toBlock": min(first + LOG_WINDOW_BLOCKS - 1, to_block),
                "topics": [[transferred, moved], [_topic_of(token), _topic_of(self.address)]],
            }
            logs = self.w3.eth.get_logs(params)
            events = artifacts.decode_receipt_events(
                self.w3,
                cast(TxReceipt, {"logs": logs}),
                {self.address: CONTRACT_TYPE, token: ERC20_CONTRACT_TYPE},
            )
            found.extend(_paired(events, token, self.address))
        return found


def _paired(
    events: Iterable[artifacts.DecodedEvent], token: ChecksumAddress, treasury: ChecksumAddress
) -> Iterable[CustodyTransferLog]:
    """Each `CustodyTransferred` of `token` with the token's next `Transfer` out of `treasury` in its
    transaction (the contract logs the one right before making the other); a token transfer the owners
    made has no `CustodyTransferred` before it and is skipped."""
    pending: artifacts.DecodedEvent | None = None
    for event in events:
        if event.event == "CustodyTransferred" and to_checksum_address(event.args["token"]) == token:
            pending = event
        elif (
            event.event == "Transfer"
            and pending is not None
            and event.tx_hash == pending.tx_hash
            and to_checksum_address(event.args["sender"]) == treasury
        ):
            yield CustodyTransferLog(
                token=token,
                nonce=int(pending.args["nonce"]),
                to=to_checksum_address(event.args["receiver"]),
                amount=int(event.args["value"]),
                tx_hash=pending.tx_hash,
                log_index=pending.log_index,
                block_number=pending.block_number,
            )
            pending = None


def _topic_of(address: str) -> str:
    """An address as an indexed event argument: left-padded to 32 bytes."""
    return "0x" + bytes.fromhex(address.removeprefix("0x")).rjust(32, b"\0").hex()
