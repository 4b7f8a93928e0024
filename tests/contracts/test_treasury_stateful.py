"""MultisigTreasury.vy under random sequences of custody and owners' transfers, time jumps, queue operations,
limit changes, key changes and forgeries, against a model of the rules (hypothesis RuleBasedStateMachine).

The promises checked:
- no outflow without valid authority: after every step each token's treasury balance is its funding less
  exactly what the model's authorised actions sent out; forgeries and replays move nothing;
- the 24-hour limit is never exceeded: at every immediate custody transfer, the immediate custody outflow of
  the token in the 24 hours up to and including it is at most the limit in force, and the contract decides
  "immediate or queued" exactly as the rule says (previous and current day's outflow + amount <= limit);
- queued transfers run only after their delay, only while their custody epoch lasts, and at most once.
"""

import dataclasses
from collections import Counter
from typing import Any

import ape
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from chain.intents import ZERO_ADDRESS
from chain.treasury import CustodyTransfer
from tests.contracts.test_treasury_support import (
    DAY,
    ETHER_FUNDS,
    ETHER_LIMIT,
    HOUR,
    QUEUE_DELAY,
    TOKEN_FUNDS,
    TOKEN_LIMIT,
    TreasuryDriver,
)
from tests.helpers.frost_signing import fixed_key

pytestmark = [pytest.mark.chain, pytest.mark.slow]

STEPS_PER_EXAMPLE = 12
NO_SUCH_QUEUED = "treasury: no such queued transfer (never queued, executed or cancelled)"
VOIDED = "treasury: the queued transfer was voided by a custody key change"
LOCKED = "treasury: the queued transfer's time lock has not passed"

time_jumps = st.one_of(
    st.integers(1, 3 * DAY),
    st.sampled_from([HOUR, 11 * HOUR, 23 * HOUR, DAY - 1, DAY, DAY + 1, QUEUE_DELAY]),
)
eighths_of_the_limit = st.integers(1, 12)


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
    """Drives one treasury (restored to its deployment state for every example) against the model."""

    def __init__(self, treasury: TreasuryDriver, token: Any, recipient: Any, outsider: Any) -> None:
        super().__init__()
        self.treasury = treasury
        self.token = token
        self.recipient = recipient
        self.outsider = outsider
        self.chain = treasury.chain
        self.snapshot = self.chain.snapshot()
        self.keys = [treasury.custody_key, fixed_key(2718)]
        self.key_index = 0
        self.epoch = 1
        self.models = {
            token.address: TokenModel(TOKEN_LIMIT, TOKEN_LIMIT, TOKEN_FUNDS),
            ZERO_ADDRESS: TokenModel(ETHER_LIMIT, ETHER_LIMIT, ETHER_FUNDS),
        }
        self.queued: list[QueuedModel] = []
        self.recipient_ether = recipient.balance
        self.spent_signatures: list[tuple[CustodyTransfer, tuple[int, int, int]]] = []

    def teardown(self) -> None:
        self.chain.restore(self.snapshot)

    @property
    def key(self) -> Any:
        return self.keys[self.key_index]

    def pin_time(self) -> int:
        """The timestamp the next transaction will be mined at, fixed now so the model can predict it."""
        now = max(self.chain.pending_timestamp, self.chain.blocks.head.timestamp + 1)
        self.chain.pending_timestamp = now
        return int(now)

    def balance_of_treasury(self, token: str) -> int:
        if token == ZERO_ADDRESS:
            return int(self.treasury.contract.balance)
        return int(self.token.balanceOf(self.treasury.contract))

    # rules

    @initialize()
    def start_at_noon(self) -> None:
        self.chain.mine(timestamp=(self.chain.blocks.head.timestamp // DAY + 1) * DAY + DAY // 2)

    @rule(token_index=st.integers(0, 1), eighths=eighths_of_the_limit)
    def custody_transfer(self, token_index: int, eighths: int) -> None:
        token = list(self.models)[token_index]
        model = self.models[token]
        amount = model.base_limit * eighths // 8
        transfer = self.treasury.custody_transfer(self.recipient.address, token, amount)
        assert transfer.nonce == model.nonce
        signature = self.treasury.custody_sign(transfer, self.key)
        now = self.pin_time()
        expected_immediate = model.allows(now, amount)
        receipt = self.treasury.custody_execute(transfer, signature, key=self.key)
        assert receipt.timestamp == now
        model.nonce += 1
        self.spent_signatures.append((transfer, signature))
        contract = self.treasury.contract
        if expected_immediate:
            assert receipt.events.filter(contract.CustodyTransferred) == [
                contract.CustodyTransferred(token=token, nonce=transfer.nonce)
            ]
            model.immediate.append((now, amount))
            model.outflow_by_day[now // DAY] += amount
            model.sent += amount
            assert model.outflow_in_24_hours_to(now) <= model.limit, "the 24-hour limit was exceeded"
        else:
            (event,) = receipt.events.filter(contract.TransferQueued)
            assert (event.amount, event.eta) == (amount, now + QUEUE_DELAY)
            self.queued.append(QueuedModel(transfer, now + QUEUE_DELAY, self.epoch))

    @rule(token_index=st.integers(0, 1), eighths=eighths_of_the_limit)
    def owners_transfer(self, token_index: int, eighths: int) -> None:
        token = list(self.models)[token_index]
        model = self.models[token]
        amount = model.base_limit * eighths // 8
        self.treasury.execute(self.treasury.transfer_tx(self.recipient.address, token, amount))
        model.sent += amount

    @rule(seconds=time_jumps)
    def wait(self, seconds: int) -> None:
        self.chain.mine(timestamp=self.chain.blocks.head.timestamp + seconds)

    @precondition(lambda self: bool(self.queued))
    @rule(pick=st.integers(0, 2**16))
    def execute_queued(self, pick: int) -> None:
        entry = self.queued[pick % len(self.queued)]
        now = self.pin_time()
        reason = (
            NO_SUCH_QUEUED
            if entry.done
            else VOIDED
            if entry.epoch != self.epoch
            else LOCKED
            if now < entry.eta
            else None
        )
        if reason is not None:
            with ape.reverts(reason):
                self.treasury.execute_queued(entry.transfer, sender=self.outsider)
            return
        receipt = self.treasury.execute_queued(entry.transfer, sender=self.outsider)
        assert receipt.timestamp >= entry.eta, "a queued transfer ran before its delay"
        entry.done = True
        self.models[entry.transfer.token].sent += entry.transfer.amount

    @precondition(lambda self: bool(self.queued))
    @rule(pick=st.integers(0, 2**16))
    def owners_cancel(self, pick: int) -> None:
        entry = self.queued[pick % len(self.queued)]
        transfer_id = self.treasury.transfer_id(entry.transfer)
        if entry.done:
            with ape.reverts(NO_SUCH_QUEUED):
                self.treasury.configure("cancel_queued", transfer_id)
            return
        self.treasury.configure("cancel_queued", transfer_id)
        entry.done = True

    @rule(token_index=st.integers(0, 1), eighths=st.integers(0, 16))
    def owners_set_limit(self, token_index: int, eighths: int) -> None:
        token = list(self.models)[token_index]
        model = self.models[token]
        model.limit = model.base_limit * eighths // 8
        self.treasury.configure("set_custody_limit", token, model.limit)

    @rule()
    def owners_rotate_custody_key(self) -> None:
        self.key_index = 1 - self.key_index
        self.treasury.configure("set_custody_key", *self.key[1].group_public_key.coordinates())
        self.epoch += 1

    @rule(token_index=st.integers(0, 1), eighths=eighths_of_the_limit)
    def forgeries_move_nothing(self, token_index: int, eighths: int) -> None:
        """A key the owners did not install, the key not in force, a lone owner and an outsider all fail."""
        token = list(self.models)[token_index]
        amount = self.models[token].base_limit * eighths // 8
        transfer = self.treasury.custody_transfer(self.recipient.address, token, amount)
        for key in (fixed_key(666), self.keys[1 - self.key_index]):
            with ape.reverts("treasury: not the custody key, or a token custody may not move"):
                self.treasury.custody_execute(transfer, key=key)
        tx = self.treasury.transfer_tx(self.recipient.address, token, amount)
        with ape.reverts("treasury: fewer signatures than the threshold"):
            self.treasury.execute(tx, self.treasury.owner_signatures(tx, self.treasury.owners[:1]))
        with ape.reverts("treasury: only the treasury itself may call this (an owners' TreasuryTx)"):
            self.treasury.contract.set_custody_limit(token, 2**80, sender=self.outsider)

    @precondition(lambda self: bool(self.spent_signatures))
    @rule(pick=st.integers(0, 2**16))
    def replays_move_nothing(self, pick: int) -> None:
        transfer, signature = self.spent_signatures[pick % len(self.spent_signatures)]
        with ape.reverts():
            self.treasury.custody_execute(transfer, signature, key=self.key)

    # invariants

    @invariant()
    def outflows_match_authorised_actions(self) -> None:
        for token, model in self.models.items():
            assert self.balance_of_treasury(token) == model.funds - model.sent
        assert self.token.balanceOf(self.recipient) == self.models[self.token.address].sent
        assert self.recipient.balance == self.recipient_ether + self.models[ZERO_ADDRESS].sent

    @invariant()
    def custody_state_matches_the_rule(self) -> None:
        now = int(self.chain.blocks.head.timestamp)
        for token, model in self.models.items():
            assert self.treasury.contract.custody_nonce(token) == model.nonce
            assert self.treasury.contract.custody_available(token) == model.available(now)


def test_random_operations_keep_the_treasury_promises(
    treasury: TreasuryDriver, treasury_token: Any, accounts: Any, treasury_outsider: Any
) -> None:
    run_state_machine_as_test(
        lambda: TreasuryMachine(treasury, treasury_token, accounts[4], treasury_outsider),
        settings=settings(stateful_step_count=STEPS_PER_EXAMPLE),
    )
