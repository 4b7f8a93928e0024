"""MultisigTreasury.vy under random sequences of custody and owners' transfers, time jumps, queue operations,
limit changes, key changes and forgeries, against a model of the rules (hypothesis RuleBasedStateMachine).

The promises checked:
- no outflow without valid authority: after every step each token's treasury balance is its funding less
  exactly what the model's authorised actions sent out; forgeries and replays move nothing;
- the 24-hour limit is never exceeded: at every immediate custody transfer, the immediate custody outflow of
  the token in the 24 hours up to and including it is at most the limit in force, and the contract decides
  "immediate or queued" exactly as the rule says (previous and current day's outflow + amount <= limit);
- queued transfers run only after their delay, only within their execution window, only while their custody
  epoch lasts and their token is not frozen (limit 0), and at most once; a frozen token moves nothing;
- an owners' transaction whose call fails consumes its nonce: its signatures never run again.
"""

import dataclasses
import re
from collections import Counter
from typing import Any

import pytest
from eth_tester.exceptions import TransactionFailed
from eth_typing import ChecksumAddress
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import TxParams, TxReceipt

from chain.intents import ZERO_ADDRESS, TreasuryTx
from chain.reverts import revert_reason
from chain.treasury import CustodyTransfer, OnchainSignature, Treasury, collect_signatures, sign_digest
from tests.helpers.frost_signing import Key, fixed_key, sign_with_key
from tests.helpers.treasury import (
    DAY,
    ETHER_FUNDS,
    ETHER_LIMIT,
    HOUR,
    QUEUE_DELAY,
    THRESHOLD,
    TOKEN_FUNDS,
    TOKEN_LIMIT,
    TreasuryDriver,
)

pytestmark = [pytest.mark.chain, pytest.mark.slow]

STEPS_PER_EXAMPLE = 10
GAS_ALLOWANCE = 1_000_000
NOT_CUSTODY = "treasury: not the custody key, or a token custody may not move"
NO_SUCH_QUEUED = "treasury: no such queued transfer (never queued, executed or cancelled)"
VOIDED = "treasury: the queued transfer was voided by a custody key change"
LOCKED = "treasury: the queued transfer's time lock has not passed"
EXPIRED = "treasury: the queued transfer's execution window has passed (it can only be cancelled)"
FROZEN = "treasury: custody transfers of the token are frozen (its limit is 0)"
WRONG_OWNERS_NONCE = "treasury: nonce is not the owners' next nonce"
PAST_DEADLINE = "treasury: the transaction's deadline has passed"
QUEUE_WINDOW = 14 * DAY
ONLY_SELF = "treasury: only the treasury itself may call this (an owners' TreasuryTx)"
REVERTED = (ContractLogicError, TransactionFailed)

time_jumps = st.one_of(
    st.integers(1, 3 * DAY),
    st.sampled_from([HOUR, 11 * HOUR, 23 * HOUR, DAY - 1, DAY, DAY + 1, QUEUE_DELAY, QUEUE_WINDOW]),
)
eighths_of_the_limit = st.integers(1, 12)


def refused(call: ContractFunction, sender: str, reason: str = "", *others: str) -> None:
    """`call` from `sender` reverts (with `reason`, or one of `others`, in its message, if given), run against
    the latest state."""
    pattern = "|".join(re.escape(text) for text in (reason, *others)) if reason else None
    with pytest.raises(REVERTED, match=pattern):
        call.call({"from": sender})


@dataclasses.dataclass
class TokenModel:
    """What the rules say about one token's custody."""

    base_limit: int
    limit: int
    funds: int
    nonce: int = 0
    sent: int = 0
    immediate: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    """(timestamp, amount) of each immediate custody transfer."""
    outflow_by_day: Counter[int] = dataclasses.field(default_factory=Counter)

    def allows(self, now: int, amount: int) -> bool:
        day = now // DAY
        return self.outflow_by_day[day - 1] + self.outflow_by_day[day] + amount <= self.limit

    def available(self, now: int) -> int:
        day = now // DAY
        return max(0, self.limit - self.outflow_by_day[day - 1] - self.outflow_by_day[day])

    def outflow_in_24_hours_to(self, now: int) -> int:
        return sum(amount for timestamp, amount in self.immediate if now - DAY < timestamp <= now)


@dataclasses.dataclass
class QueuedModel:
    transfer: CustodyTransfer
    eta: int
    epoch: int
    done: bool = False


class TreasuryMachine(RuleBasedStateMachine):
    """Drives one treasury (restored to its deployment state after every example) against the model.

    Transactions go through plain web3 on Ape's py-evm provider and the treasury's Python face
    (`chain.treasury.Treasury`): the same chain as the Ape fixtures, a fraction of the overhead per call.
    """

    def __init__(self, driver: TreasuryDriver, token: Any, recipient: ChecksumAddress, outsider: str) -> None:
        super().__init__()
        self.chain = driver.chain
        self.w3: Web3 = self.chain.provider.web3
        self.face = Treasury(self.w3, driver.address)
        self.functions = self.face.contract.functions
        self.token_balance = self.w3.eth.contract(
            address=token.address,
            abi=[entry.model_dump(mode="json", by_alias=True) for entry in token.contract_type.abi],
        ).functions.balanceOf
        self.owners = driver.owners
        self.relayer = driver.relayer.address
        self.recipient = recipient
        self.outsider = outsider
        self.snapshot = self.chain.snapshot()
        # calls without a sender make web3's eth-tester middleware list every account to guess one: slow
        self.default_account = self.w3.eth.default_account
        self.w3.eth.default_account = self.relayer
        self.keys = [driver.custody_key, fixed_key(2718)]
        self.key_index = 0
        self.epoch = 1
        self.models = {
            token.address: TokenModel(TOKEN_LIMIT, TOKEN_LIMIT, TOKEN_FUNDS),
            ZERO_ADDRESS: TokenModel(ETHER_LIMIT, ETHER_LIMIT, ETHER_FUNDS),
        }
        self.tokens = list(self.models)
        self.queued: list[QueuedModel] = []
        self.recipient_ether = self.w3.eth.get_balance(recipient)
        self.spent: list[tuple[CustodyTransfer, OnchainSignature]] = []
        self.failed_owners_txs: list[tuple[TreasuryTx, bytes]] = []

    def teardown(self) -> None:
        self.w3.eth.default_account = self.default_account
        self.chain.restore(self.snapshot)

    # helpers

    def send(self, call: ContractFunction, sender: str | None = None) -> TxReceipt:
        # a fixed gas allowance spares eth-tester's estimate (a binary search that runs the call many times)
        params: TxParams = {"from": sender or self.relayer, "gas": GAS_ALLOWANCE}
        receipt = self.w3.eth.wait_for_transaction_receipt(call.transact(params))
        if receipt["status"] != 1:
            call.call(
                {"from": params["from"]}, block_identifier=receipt["blockNumber"] - 1
            )  # raises the reason
            raise AssertionError(f"{call.fn_name} reverted without a reason")
        return receipt

    def pin_time(self) -> int:
        """The timestamp the next transaction will be mined at, fixed now so the model can predict it."""
        now = max(self.chain.pending_timestamp, self.chain.blocks.head.timestamp + 1)
        self.chain.pending_timestamp = now
        return int(now)

    def events(self, receipt: TxReceipt) -> list[str]:
        return [event.event for event in self.face.events(receipt)]

    def custody_call(self, transfer: CustodyTransfer, key: Key) -> ContractFunction:
        """`transfer` signed by `key`'s group, submitted under that group's key."""
        point = key[1].group_public_key
        signature = sign_with_key(key, self.face.custody_digest(transfer)).onchain()
        return self.functions.execute_with_custody(
            *transfer.to_message().values(), point.x, point.y & 1, *signature
        )

    def owners_signatures(self, tx: TreasuryTx, signers: int = THRESHOLD) -> bytes:
        digest = self.face.tx_digest(tx)
        signatures = [sign_digest(bytes(owner.key), digest) for owner in self.owners[:signers]]
        return collect_signatures(digest, signatures, [owner.address for owner in self.owners], signers)

    def owners_call(self, tx: TreasuryTx, signers: int = THRESHOLD) -> ContractFunction:
        return self.face.execute_with_owners(tx, self.owners_signatures(tx, signers))

    def failure_reason(self, receipt: TxReceipt) -> str | None:
        """The revert reason of the owners' call in `receipt` if it failed, else None."""
        failures = [event for event in self.face.events(receipt) if event.event == "OwnersExecutionFailed"]
        return revert_reason(bytes.fromhex(failures[0].args["revert_data"][2:])) if failures else None

    def configure(self, call: ContractFunction) -> TxReceipt:
        """The owners have the treasury make `call` on itself; the call may fail (see `failure_reason`)."""
        nonce = self.face.owners_nonce()
        deadline = self.pin_time() + HOUR
        tx = TreasuryTx(
            to=self.face.address,
            token=ZERO_ADDRESS,
            amount=0,
            data=bytes.fromhex(call._encode_transaction_data()[2:]),
            nonce=nonce,
            deadline=deadline,
        )
        return self.send(self.owners_call(tx))

    def custody_transfer(self, token: str, amount: int) -> CustodyTransfer:
        return CustodyTransfer(
            to=self.recipient,
            token=token,
            amount=amount,
            nonce=self.face.custody_nonce(token),
            deadline=self.pin_time() + HOUR,
        )

    # rules

    @initialize()
    def start_at_noon(self) -> None:
        self.chain.mine(timestamp=(self.chain.blocks.head.timestamp // DAY + 1) * DAY + DAY // 2)

    @rule(token_index=st.integers(0, 1), eighths=eighths_of_the_limit)
    def custody_transfer_is_made_or_queued_as_the_rule_says(self, token_index: int, eighths: int) -> None:
        token = self.tokens[token_index]
        model = self.models[token]
        amount = model.base_limit * eighths // 8
        transfer = self.custody_transfer(token, amount)
        assert transfer.nonce == model.nonce
        call = self.custody_call(transfer, self.keys[self.key_index])
        now = self.pin_time()
        if model.limit == 0:
            refused(call, self.relayer, FROZEN)
            return
        expected_immediate = model.allows(now, amount)
        receipt = self.send(call)
        model.nonce += 1
        self.spent.append((transfer, tuple(call.args[-3:])))
        if expected_immediate:
            assert self.events(receipt) == ["CustodyTransferred"]
            model.immediate.append((now, amount))
            model.outflow_by_day[now // DAY] += amount
            model.sent += amount
            assert model.outflow_in_24_hours_to(now) <= model.limit, "the 24-hour limit was exceeded"
        else:
            assert self.events(receipt) == ["TransferQueued"]
            self.queued.append(QueuedModel(transfer, now + QUEUE_DELAY, self.epoch))
            assert (
                self.face.contract.functions.queued_eta(self.transfer_id(transfer)).call()
                == now + QUEUE_DELAY
            )

    def transfer_id(self, transfer: CustodyTransfer) -> bytes:
        return bytes(
            self.functions.queued_transfer_id(
                transfer.to, transfer.token, transfer.amount, transfer.nonce
            ).call()
        )

    @rule(token_index=st.integers(0, 1), eighths=eighths_of_the_limit)
    def owners_transfer(self, token_index: int, eighths: int) -> None:
        token = self.tokens[token_index]
        model = self.models[token]
        amount = model.base_limit * eighths // 8
        nonce = self.face.owners_nonce()
        tx = TreasuryTx(
            to=self.recipient,
            token=token,
            amount=amount,
            data=b"",
            nonce=nonce,
            deadline=self.pin_time() + HOUR,
        )
        self.send(self.owners_call(tx))
        model.sent += amount

    @rule(token_index=st.integers(0, 1))
    def owners_transfer_that_fails(self, token_index: int) -> None:
        """More than the treasury holds: the transfer fails, the nonce is consumed, nothing moves."""
        token = self.tokens[token_index]
        model = self.models[token]
        tx = TreasuryTx(
            to=self.recipient,
            token=token,
            amount=model.funds - model.sent + 1,
            data=b"",
            nonce=self.face.owners_nonce(),
            deadline=self.pin_time() + HOUR,
        )
        blob = self.owners_signatures(tx)
        receipt = self.send(self.face.execute_with_owners(tx, blob))
        assert self.failure_reason(receipt) is not None
        assert self.face.owners_nonce() == tx.nonce + 1
        self.failed_owners_txs.append((tx, blob))

    @precondition(lambda self: bool(self.failed_owners_txs))
    @rule(pick=st.integers(0, 2**16))
    def failed_owners_transactions_never_run_again(self, pick: int) -> None:
        tx, blob = self.failed_owners_txs[pick % len(self.failed_owners_txs)]
        # Its nonce is spent; once its deadline has passed too, that is checked first.
        refused(self.face.execute_with_owners(tx, blob), self.relayer, WRONG_OWNERS_NONCE, PAST_DEADLINE)

    @rule(seconds=time_jumps)
    def wait(self, seconds: int) -> None:
        self.chain.mine(timestamp=self.chain.blocks.head.timestamp + seconds)

    @precondition(lambda self: bool(self.queued))
    @rule(pick=st.integers(0, 2**16))
    def execute_queued(self, pick: int) -> None:
        entry = self.queued[pick % len(self.queued)]
        now = self.pin_time()
        call = self.face.execute_queued(entry.transfer)
        if entry.done:
            refused(call, self.outsider, NO_SUCH_QUEUED)
        elif entry.epoch != self.epoch:
            refused(call, self.outsider, VOIDED)
        elif now < entry.eta:
            refused(call, self.outsider, LOCKED)
        elif now > entry.eta + QUEUE_WINDOW:
            refused(call, self.outsider, EXPIRED)
        elif self.models[entry.transfer.token].limit == 0:
            refused(call, self.outsider, FROZEN)
        else:
            receipt = self.send(call, self.outsider)
            assert self.w3.eth.get_block(receipt["blockNumber"])["timestamp"] >= entry.eta
            entry.done = True
            self.models[entry.transfer.token].sent += entry.transfer.amount

    @precondition(lambda self: bool(self.queued))
    @rule(pick=st.integers(0, 2**16))
    def owners_cancel(self, pick: int) -> None:
        entry = self.queued[pick % len(self.queued)]
        cancel = self.functions.cancel_queued(self.transfer_id(entry.transfer))
        receipt = self.configure(cancel)
        if entry.done:
            assert self.failure_reason(receipt) == NO_SUCH_QUEUED
            return
        assert self.failure_reason(receipt) is None
        entry.done = True

    @rule(token_index=st.integers(0, 1), eighths=st.integers(0, 16))
    def owners_set_limit(self, token_index: int, eighths: int) -> None:
        token = self.tokens[token_index]
        model = self.models[token]
        model.limit = model.base_limit * eighths // 8
        assert (
            self.failure_reason(self.configure(self.functions.set_custody_limit(token, model.limit))) is None
        )

    @rule()
    def owners_rotate_custody_key(self) -> None:
        self.key_index = 1 - self.key_index
        point = self.keys[self.key_index][1].group_public_key
        assert self.failure_reason(self.configure(self.functions.set_custody_key(point.x, point.y))) is None
        self.epoch += 1

    @rule(token_index=st.integers(0, 1), eighths=eighths_of_the_limit, attempt=st.integers(0, 3))
    def forgeries_move_nothing(self, token_index: int, eighths: int, attempt: int) -> None:
        """A group key the owners never installed, the key no longer in force, one owner alone, an outsider
        configuring: all refused (and the balances invariant shows nothing moved)."""
        token = self.tokens[token_index]
        amount = self.models[token].base_limit * eighths // 8
        if attempt < 2:
            key = fixed_key(666) if attempt == 0 else self.keys[1 - self.key_index]
            refused(self.custody_call(self.custody_transfer(token, amount), key), self.relayer, NOT_CUSTODY)
        elif attempt == 2:
            nonce = self.face.owners_nonce()
            tx = TreasuryTx(
                to=self.recipient, token=token, amount=amount, data=b"", nonce=nonce, deadline=2**40
            )
            refused(
                self.owners_call(tx, signers=1), self.relayer, "treasury: fewer signatures than the threshold"
            )
        else:
            refused(self.functions.set_custody_limit(token, 2**80), self.outsider, ONLY_SELF)

    @precondition(lambda self: bool(self.spent))
    @rule(pick=st.integers(0, 2**16))
    def replays_move_nothing(self, pick: int) -> None:
        transfer, signature = self.spent[pick % len(self.spent)]
        point = self.keys[self.key_index][1].group_public_key
        call = self.functions.execute_with_custody(
            *transfer.to_message().values(), point.x, point.y & 1, *signature
        )
        refused(call, self.relayer)

    # invariants

    @invariant()
    def outflows_match_authorised_actions(self) -> None:
        treasury = self.face.address
        assert (
            self.token_balance(treasury).call()
            == self.models[self.tokens[0]].funds - self.models[self.tokens[0]].sent
        )
        assert self.token_balance(self.recipient).call() == self.models[self.tokens[0]].sent
        ether = self.models[ZERO_ADDRESS]
        assert self.w3.eth.get_balance(treasury) == ether.funds - ether.sent
        assert self.w3.eth.get_balance(self.recipient) == self.recipient_ether + ether.sent

    @invariant()
    def the_allowance_left_is_the_rules(self) -> None:
        now = int(self.chain.blocks.head.timestamp)
        for token, model in self.models.items():
            assert self.face.custody_available(token) == model.available(now)


def test_random_operations_keep_the_treasury_promises(
    treasury: TreasuryDriver, treasury_token: Any, accounts: Any, treasury_outsider: Any
) -> None:
    class Machine(TreasuryMachine):
        def __init__(self) -> None:
            super().__init__(treasury, treasury_token, accounts[4].address, treasury_outsider.address)

    run_state_machine_as_test(Machine, settings=settings(stateful_step_count=STEPS_PER_EXAMPLE))
