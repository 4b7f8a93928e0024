"""The deployed PaymentRouter through web3: its `Paid` events as payments, paying (approve, permit), reads.

The payments watcher reads `payments(first, last)` at a confirmation depth; wallets, tests and the demo pay
with `pay` or `pay_with_permit` from a local key. A revert surfaces as `TransactionFailed` with the router's
reason ("router: ...").
"""

from dataclasses import dataclass
from typing import Self, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from web3 import Web3
from web3.types import FilterParams, TxReceipt

from chain import artifacts
from chain.deployments import Deployments
from chain.subscriptions import sign_permit
from chain.transactions import send_call

CONTRACT_TYPE = "PaymentRouter"
"""The contract type in Ape's build manifest, and the name the deployments registry records it under."""
LOG_WINDOW_BLOCKS = 10_000
"""Nodes refuse eth_getLogs over too many blocks at once; scans go in windows of this many."""


@dataclass(frozen=True, slots=True)
class RouterPayment:
    """One `Paid` event: who paid how much of which token for which intent id, and where the log is.

    (tx_hash, log_index) identifies it; `block_hash` lets a reader tell a reorged copy from the original.
    """

    intent_key: bytes
    payer: ChecksumAddress
    token: ChecksumAddress
    amount: int
    recipient: ChecksumAddress
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str


class PaymentRouter(artifacts.DeployedContract):
    """A deployed PaymentRouter: read its `Paid` events and state, pay through it from local keys."""

    contract_type = CONTRACT_TYPE

    @classmethod
    def from_registry(cls, w3: Web3, registry: Deployments, name: str = CONTRACT_TYPE) -> Self:
        """The router the registry records as `name`, once the node is shown to be on the registry chain."""
        registry.check_chain_id(w3)
        deployment = registry.get(name)
        return cls(w3, deployment.address, from_block=deployment.block_number)

    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def recipient(self) -> ChecksumAddress:
        return to_checksum_address(self.contract.functions.recipient().call())

    def is_paid(self, intent_key: bytes) -> bool:
        return bool(self.contract.functions.is_paid(intent_key).call())

    def is_token_allowed(self, token: str) -> bool:
        return bool(self.contract.functions.is_token_allowed(to_checksum_address(token)).call())

    def payments(self, from_block: int, to_block: int) -> list[RouterPayment]:
        """The `Paid` events of blocks [`from_block`, `to_block`], oldest first."""
        paid_topic = self.contract.events.Paid().topic
        found: list[RouterPayment] = []
        for first in range(from_block, to_block + 1, LOG_WINDOW_BLOCKS):
            params: FilterParams = {
                "address": self.address,
                "fromBlock": first,
                "toBlock": min(first + LOG_WINDOW_BLOCKS - 1, to_block),
                "topics": [paid_topic],
            }
            logs = self.w3.eth.get_logs(params)
            hashes = {int(log["logIndex"]): "0x" + bytes(log["blockHash"]).hex() for log in logs}
            for event in artifacts.decode_receipt_events(
                self.w3, cast(TxReceipt, {"logs": logs}), {self.address: CONTRACT_TYPE}
            ):
                args = event.args
                found.append(
                    RouterPayment(
                        intent_key=bytes.fromhex(args["intent_id"][2:]),
                        payer=to_checksum_address(args["payer"]),
                        token=to_checksum_address(args["token"]),
                        amount=int(args["amount"]),
                        recipient=to_checksum_address(args["recipient"]),
                        tx_hash=event.tx_hash,
                        log_index=event.log_index,
                        block_number=event.block_number,
                        block_hash=hashes[event.log_index],
                    )
                )
        return found

    def pay(self, payer: LocalAccount, intent_key: bytes, token: str, amount: int) -> TxReceipt:
        """Approve the router for `amount` of `token`, then pay intent `intent_key` (two transactions)."""
        erc20 = artifacts.contract(self.w3, "Token", token)
        send_call(self.w3, payer, erc20.functions.approve(self.address, amount))
        return send_call(
            self.w3, payer, self.contract.functions.pay(intent_key, to_checksum_address(token), amount)
        )

    def pay_with_permit(
        self, payer: LocalAccount, intent_key: bytes, token: str, amount: int, deadline: int
    ) -> TxReceipt:
        """Pay intent `intent_key` in one transaction with an EIP-2612 permit for `amount`, signed here."""
        erc20 = artifacts.contract(self.w3, "Token", token)
        signature = sign_permit(
            payer,
            erc20.functions.name().call(),
            erc20.address,
            self.chain_id(),
            self.address,
            amount,
            int(erc20.functions.nonces(payer.address).call()),
            deadline,
        )
        call = self.contract.functions.payWithPermit(
            intent_key, erc20.address, amount, deadline, signature.v, signature.r, signature.s
        )
        return send_call(self.w3, payer, call)
