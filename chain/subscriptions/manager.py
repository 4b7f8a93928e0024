"""The deployed SubscriptionManager through web3: plans, subscribing three ways, charging, reading state.

Transactions are sent from local keys with `chain.transactions.send_call`; a contract revert surfaces as
`TransactionFailed` carrying the contract's reason ("subscriptions: ...").
"""

from collections.abc import Iterable, Sequence
from typing import Any, Self, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from web3 import Web3
from web3.types import BlockIdentifier, FilterParams, TxReceipt

from chain import artifacts
from chain.artifacts import DecodedEvent
from chain.deployments import Deployments
from chain.reverts import revert_reason
from chain.subscriptions.authorization import (
    SignedAuthorization,
    authorization_for,
    sign_authorization,
    sign_permit,
)
from chain.subscriptions.terms import (
    ChargeReport,
    Plan,
    Subscription,
    SubscriptionError,
    SubscriptionStatus,
    UnknownPlan,
    UnknownSubscription,
    check_plan_terms,
)
from chain.transactions import send_call

CONTRACT_TYPE = "SubscriptionManager"
"""The contract type in Ape's build manifest, and the name the deployments registry records it under."""
LOG_WINDOW_BLOCKS = 10_000
"""Nodes refuse eth_getLogs over too many blocks at once; scans go in windows of this many."""


class SubscriptionManager(artifacts.DeployedContract):
    """A deployed SubscriptionManager: send its transactions from local keys, read its state."""

    contract_type = CONTRACT_TYPE

    @classmethod
    def from_registry(cls, w3: Web3, registry: Deployments, name: str = CONTRACT_TYPE) -> Self:
        """The manager the registry records as `name`, once the node is shown to be on the registry chain."""
        registry.check_chain_id(w3)
        deployment = registry.get(name)
        return cls(w3, deployment.address, from_block=deployment.block_number)

    @classmethod
    def deploy(cls, w3: Web3, deployer: str, treasury: str, fee_bps: int) -> Self:
        """Deploy a manager from `deployer` (an account the node signs for: a devnet's dev accounts)."""
        address, receipt = artifacts.deploy(
            w3, CONTRACT_TYPE, to_checksum_address(treasury), fee_bps, sender=deployer
        )
        return cls(w3, address, from_block=int(receipt["blockNumber"]))

    # Reads

    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def now(self) -> int:
        """The latest block's timestamp: the chain's clock, which a devnet may have moved forward."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def plan_count(self, *, block: BlockIdentifier = "latest") -> int:
        return int(self.contract.functions.plan_count().call(block_identifier=block))

    def subscription_count(self, *, block: BlockIdentifier = "latest") -> int:
        return int(self.contract.functions.subscription_count().call(block_identifier=block))

    def fee_bps(self) -> int:
        """The fee new plans get (existing plans keep theirs)."""
        return int(self.contract.functions.fee_bps().call())

    def treasury(self) -> ChecksumAddress:
        return to_checksum_address(self.contract.functions.treasury().call())

    def nonce(self, subscriber: str) -> int:
        """`subscriber`'s next authorization nonce."""
        return int(self.contract.functions.nonces(to_checksum_address(subscriber)).call())

    def plan(self, plan_id: int, *, block: BlockIdentifier = "latest") -> Plan:
        """Plan `plan_id` as of `block`; `UnknownPlan` if no plan has that id."""
        if not 0 < plan_id < 2**256:
            raise UnknownPlan(f"no plan {plan_id}")
        fields = self.contract.functions.plan(plan_id).call(block_identifier=block)
        merchant, token, amount, period, trial, grace, max_periods, fee_bps, paused = fields
        if int(merchant, 16) == 0:
            raise UnknownPlan(f"no plan {plan_id}")
        return Plan(
            plan_id=plan_id,
            merchant=to_checksum_address(merchant),
            token=to_checksum_address(token),
            amount=int(amount),
            period=int(period),
            trial=int(trial),
            grace=int(grace),
            max_periods=int(max_periods),
            fee_bps=int(fee_bps),
            paused=bool(paused),
        )

    def plans(
        self, *, offset: int = 0, limit: int | None = None, block: BlockIdentifier = "latest"
    ) -> list[Plan]:
        """Plans by id as of `block`, skipping the first `offset`, at most `limit` of them."""
        last = self.plan_count(block=block)
        stop = last if limit is None else min(last, offset + limit)
        return [self.plan(plan_id, block=block) for plan_id in range(offset + 1, stop + 1)]

    def subscription(self, subscription_id: int, *, block: BlockIdentifier = "latest") -> Subscription:
        """Subscription `subscription_id` as of `block`; `UnknownSubscription` if there is none."""
        if not 0 < subscription_id < 2**256:
            raise UnknownSubscription(f"no subscription {subscription_id}")
        fields = self.contract.functions.subscription(subscription_id).call(block_identifier=block)
        subscriber, plan_id, status, paid_through, periods_paid, grace_ends = fields
        if status == SubscriptionStatus.NONE:
            raise UnknownSubscription(f"no subscription {subscription_id}")
        return Subscription(
            subscription_id=subscription_id,
            subscriber=to_checksum_address(subscriber),
            plan_id=int(plan_id),
            status=SubscriptionStatus(status),
            paid_through=int(paid_through),
            periods_paid=int(periods_paid),
            grace_ends=int(grace_ends),
        )

    def is_due(self, subscription_id: int, *, block: BlockIdentifier = "latest") -> bool:
        """The contract's own answer at `block`: live, plan not paused, and paid-through time reached."""
        return bool(self.contract.functions.is_due(subscription_id).call(block_identifier=block))

    def due_subscriptions(self, candidates: Iterable[int] | None = None) -> list[int]:
        """The due subscriptions among `candidates` (default: every subscription issued), ascending."""
        ids = range(1, self.subscription_count() + 1) if candidates is None else sorted(set(candidates))
        return [subscription_id for subscription_id in ids if self.is_due(subscription_id)]

    def events(self, from_block: int, to_block: int) -> list[DecodedEvent]:
        """The manager's events in blocks [`from_block`, `to_block`], oldest first, decoded."""
        decoded: list[DecodedEvent] = []
        for first in range(from_block, to_block + 1, LOG_WINDOW_BLOCKS):
            params: FilterParams = {
                "address": self.address,
                "fromBlock": first,
                "toBlock": min(first + LOG_WINDOW_BLOCKS - 1, to_block),
            }
            logs = self.w3.eth.get_logs(params)
            # decode_receipt_events reads only the "logs" of what it is given.
            decoded += artifacts.decode_receipt_events(
                self.w3, cast(TxReceipt, {"logs": logs}), {self.address: CONTRACT_TYPE}
            )
        return decoded

    # Transactions

    def create_plan(
        self,
        merchant: LocalAccount,
        token: str,
        amount: int,
        period: int,
        *,
        trial: int = 0,
        grace: int = 0,
        max_periods: int = 0,
    ) -> int:
        """Create a plan paying `merchant`; returns its id."""
        check_plan_terms(amount, period, trial, grace, max_periods)
        call = self.contract.functions.create_plan(
            to_checksum_address(token), amount, period, trial, grace, max_periods
        )
        return int(self._only_event(send_call(self.w3, merchant, call), "PlanCreated")["plan_id"])

    def set_plan_paused(self, merchant: LocalAccount, plan_id: int, paused: bool) -> None:
        send_call(self.w3, merchant, self.contract.functions.set_plan_paused(plan_id, paused))

    def subscribe(self, subscriber: LocalAccount, plan_id: int) -> int:
        """Subscribe `subscriber`, paying from the allowance it gave the manager; returns the id."""
        return self._subscribed(send_call(self.w3, subscriber, self.contract.functions.subscribe(plan_id)))

    def subscribe_with_permit(
        self, subscriber: LocalAccount, plan_id: int, allowance: int, deadline: int
    ) -> int:
        """Subscribe with a permit (signed here) giving the manager `allowance` of the plan's token."""
        plan = self.plan(plan_id)
        token = artifacts.contract(self.w3, "Token", plan.token)
        signature = sign_permit(
            subscriber,
            token.functions.name().call(),
            plan.token,
            self.chain_id(),
            self.address,
            allowance,
            int(token.functions.nonces(subscriber.address).call()),
            deadline,
        )
        call = self.contract.functions.subscribe_with_permit(
            plan_id, allowance, deadline, signature.v, signature.r, signature.s
        )
        return self._subscribed(send_call(self.w3, subscriber, call))

    def authorize(self, subscriber: LocalAccount, plan_id: int, deadline: int) -> SignedAuthorization:
        """`subscriber`'s signed consent to join `plan_id` (at its next nonce), for anyone to relay."""
        authorization = authorization_for(
            self.plan(plan_id), subscriber.address, self.nonce(subscriber.address), deadline
        )
        return sign_authorization(subscriber, authorization, self.chain_id(), self.address)

    def subscribe_with_authorization(self, relayer: LocalAccount, signed: SignedAuthorization) -> int:
        """Relay a signed authorization from `relayer` (who only pays gas); returns the subscription id."""
        intent, signature = signed.authorization, signed.signature
        call = self.contract.functions.subscribe_with_authorization(
            intent.subscriber,
            intent.plan_id,
            intent.nonce,
            intent.deadline,
            signature.v,
            signature.r,
            signature.s,
        )
        return self._subscribed(send_call(self.w3, relayer, call))

    def invalidate_nonce(self, subscriber: LocalAccount) -> int:
        """Withdraw every authorization `subscriber` signed and nobody used yet (it consumes their next
        nonce); returns the nonce invalidated."""
        receipt = send_call(self.w3, subscriber, self.contract.functions.invalidate_nonce())
        return int(self._only_event(receipt, "NonceInvalidated")["nonce"])

    def cancel(self, sender: LocalAccount, subscription_id: int) -> None:
        """Cancel as the subscriber or the plan's merchant."""
        send_call(self.w3, sender, self.contract.functions.cancel(subscription_id))

    def charge(self, sender: LocalAccount, subscription_id: int) -> ChargeReport:
        """Charge one due subscription; a subscription that cannot be charged raises `TransactionFailed`."""
        return self._report(send_call(self.w3, sender, self.contract.functions.charge(subscription_id)))

    def charge_many(self, sender: LocalAccount, subscription_ids: Sequence[int]) -> ChargeReport:
        """Charge a batch; subscriptions that cannot be charged are skipped, and say why in the report."""
        receipt = send_call(self.w3, sender, self.contract.functions.charge_many(list(subscription_ids)))
        return self._report(receipt)

    def _subscribed(self, receipt: TxReceipt) -> int:
        return int(self._only_event(receipt, "Subscribed")["subscription_id"])

    def _decoded(self, receipt: TxReceipt) -> list[DecodedEvent]:
        return artifacts.decode_receipt_events(self.w3, receipt, {self.address: CONTRACT_TYPE})

    def _only_event(self, receipt: TxReceipt, name: str) -> dict[str, Any]:
        """The arguments of the one `name` event the manager emitted in `receipt`."""
        matching = [event.args for event in self._decoded(receipt) if event.event == name]
        if len(matching) != 1:
            raise SubscriptionError(f"expected one {name} event from the manager, found {len(matching)}")
        return matching[0]

    def _report(self, receipt: TxReceipt) -> ChargeReport:
        charged: dict[int, int] = {}
        failed: dict[int, int] = {}
        skipped: dict[int, str] = {}
        lapsed: list[int] = []
        completed: list[int] = []
        for event in self._decoded(receipt):
            if "subscription_id" not in event.args:
                continue
            subscription_id = int(event.args["subscription_id"])
            if event.event == "Charged":
                charged[subscription_id] = int(event.args["paid_through"])
            elif event.event == "ChargeFailed":
                failed[subscription_id] = int(event.args["grace_ends"])
            elif event.event == "ChargeSkipped":
                skipped[subscription_id] = revert_reason(bytes.fromhex(event.args["reason"][2:]))
            elif event.event == "Lapsed":
                lapsed.append(subscription_id)
            elif event.event == "Completed":
                completed.append(subscription_id)
        return ChargeReport(
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            charged=charged,
            failed=failed,
            skipped=skipped,
            lapsed=tuple(lapsed),
            completed=tuple(completed),
        )
