"""Property: any sequence of operations on intents keeps the ledger balanced and equal to the intents.

Hypothesis draws intents (two currencies, split among up to three merchants, manual or automatic capture,
with fees) and operations on them in any order: confirms with every kind of payment method, the rail's
reports, captures (partial or not), cancels, refunds (some refused by the rail), disputes opened and
closed, many of them refused by
the state machine or by an amount bound. Refusals are expected and must change nothing. At the end the
ledger's audit finds nothing (each currency sums to zero, the totals are the journal's), and every
merchant's posted balance is captured - refunded - fees - lost disputes, its available balance that less
its open disputes, and the fee and clearing accounts moved by exactly the fees and the net captured.
"""

import itertools
from collections import defaultdict

from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import Engine

from ledger.accounts import lookup_account
from payments.intents import disputes, intents, refunds
from payments.intents.context import Payments
from payments.intents.errors import PaymentError
from payments.intents.model import CaptureMethod, FeeSchedule, PaymentIntent, RailKind, ShareSpec
from payments.intents.postings import clearing_account, fees_account
from payments.intents.rails import OutcomeKind, RailOutcome
from tests.payments.intents.conftest import TENANT, ScriptedRail, assert_ledger_clean, available, posted

CURRENCIES = ("EUR", "JPY")
METHODS = ("pm_ok", "pm_3ds", "pm_async", "pm_declined", "pm_failed")
OPERATIONS = (
    "create",
    "confirm",
    "complete_action",
    "complete_processing",
    "capture",
    "cancel",
    "refund",
    "dispute",
    "close_dispute",
)
_examples = itertools.count()

operation = st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 7), st.integers(1, 30_000), st.booleans())


def _ledger_total(engine: Engine, spec_id: int) -> int:
    account = lookup_account(engine, spec_id)
    return 0 if account is None else account.balances.posted


class Run:
    """One example: its own merchants, the intents it made, and what its disputes hold or took."""

    def __init__(self, pay: Payments, rail: ScriptedRail, example: int) -> None:
        self.pay = pay
        self.rail = rail
        self.merchants = [f"acct_p{example}_{index}" for index in range(3)]
        self.intents: list[str] = []
        self.open: dict[str, tuple[str, list[tuple[str, int]]]] = {}
        self.lost: dict[tuple[str, str], int] = defaultdict(int)
        self.held: dict[tuple[str, str], int] = defaultdict(int)

    def create(self, selector: int, amount: int, flag: bool) -> None:
        count = 1 + selector % 3
        parts = [amount // count + (1 if index < amount % count else 0) for index in range(count)]
        shares = [ShareSpec(self.merchants[index], part) for index, part in enumerate(parts) if part]
        created = intents.create(
            self.pay,
            TENANT,
            amount=amount,
            currency=CURRENCIES[selector % 2],
            rail=RailKind.CARD,
            capture_method=CaptureMethod.MANUAL if flag else CaptureMethod.AUTOMATIC,
            payment_method=METHODS[selector % len(METHODS)] if selector % 4 else None,
            shares=shares,
            fee_schedule=FeeSchedule(bps=selector * 40, fixed=selector % 3 * 7),
        )
        self.intents.append(created.id)

    def apply(self, name: str, selector: int, amount: int, flag: bool) -> None:
        if name == "create" or not self.intents:
            self.create(selector, amount, flag)
            return
        intent = intents.retrieve(self.pay, TENANT, self.intents[selector % len(self.intents)])
        outcome = self._outcome(intent, flag)
        if name == "confirm":
            intents.confirm(self.pay, TENANT, intent.id, METHODS[amount % len(METHODS)])
        elif name == "complete_action":
            intents.complete_action(self.pay, TENANT, intent.id, outcome)
        elif name == "complete_processing":
            intents.complete_processing(self.pay, TENANT, intent.id, outcome)
        elif name == "capture":
            intents.capture(self.pay, TENANT, intent.id, None if flag else amount)
        elif name == "cancel":
            intents.cancel(self.pay, TENANT, intent.id)
        elif name == "refund":
            self._refund(intent, None if flag else amount, refused=amount % 4 == 0)
        elif name == "dispute":
            self._dispute(intent, None if flag else amount)
        elif self.open:
            self._close(sorted(self.open)[selector % len(self.open)], won=flag)

    @staticmethod
    def _outcome(intent: PaymentIntent, succeeds: bool) -> RailOutcome:
        if not succeeds:
            return RailOutcome(OutcomeKind.DECLINED, decline_code="do_not_honor")
        manual = intent.capture_method is CaptureMethod.MANUAL
        return RailOutcome(OutcomeKind.AUTHORIZED if manual else OutcomeKind.SUCCEEDED)

    def _refund(self, intent: PaymentIntent, amount: int | None, *, refused: bool) -> None:
        """A refund, which the rail may refuse (its hold is then voided)."""
        if refused:
            self.rail.refuse.add("refund")
        try:
            refunds.refund(self.pay, TENANT, intent.id, amount)
        finally:
            self.rail.refuse.discard("refund")

    def _dispute(self, intent: PaymentIntent, amount: int | None) -> None:
        dispute = disputes.open_dispute(self.pay, TENANT, intent.id, amount)
        after = intents.retrieve(self.pay, TENANT, intent.id)
        parts = [
            (share.destination, share.disputed - old.disputed)
            for share, old in zip(after.shares, intent.shares, strict=True)
        ]
        self.open[dispute.id] = (intent.currency, parts)
        for destination, part in parts:
            self.held[(intent.currency, destination)] += part

    def _close(self, dispute_id: str, *, won: bool) -> None:
        disputes.close_dispute(self.pay, TENANT, dispute_id, won=won)
        currency, parts = self.open.pop(dispute_id)
        for destination, part in parts:
            self.held[(currency, destination)] -= part
            if not won:
                self.lost[(currency, destination)] += part


@given(operations=st.lists(operation, min_size=1, max_size=30))
def test_any_sequence_keeps_the_ledger_balanced_and_equal_to_the_intents(
    pay: Payments, engine: Engine, rail: ScriptedRail, operations: list[tuple[str, int, int, bool]]
) -> None:
    run = Run(pay, rail, next(_examples))
    platform = {
        currency: (
            _ledger_total(engine, fees_account(currency, False).id),
            _ledger_total(engine, clearing_account(currency, False, RailKind.CARD).id),
        )
        for currency in CURRENCIES
    }
    for name, selector, amount, flag in operations:
        try:
            run.apply(name, selector, amount, flag)
            event(f"{name} done")
        except PaymentError as error:  # a refusal; the checks below prove it changed nothing
            event(f"{name} refused: {type(error).__name__}")
    assert_ledger_clean(engine)
    net: dict[tuple[str, str], int] = defaultdict(int)
    fee_total: dict[str, int] = defaultdict(int)
    for intent_id in run.intents:
        intent = intents.retrieve(pay, TENANT, intent_id)
        assert intent.amount_fee == sum(share.fee for share in intent.shares)
        assert intent.amount_refunded == sum(share.refunded for share in intent.shares)
        assert intent.amount_received == sum(share.captured for share in intent.shares)
        fee_total[intent.currency] += intent.amount_fee
        for share in intent.shares:
            net[(intent.currency, share.destination)] += share.captured - share.refunded - share.fee
    for currency in CURRENCIES:
        for merchant in run.merchants:
            key = (currency, merchant)
            expected = net[key] - run.lost[key]
            assert posted(engine, merchant, currency) == expected, key
            assert available(engine, merchant, currency) == expected - run.held[key], key
        fees_before, clearing_before = platform[currency]
        assert _ledger_total(engine, fees_account(currency, False).id) - fees_before == fee_total[currency]
        merchants_total = sum(
            net[(currency, merchant)] - run.lost[(currency, merchant)] for merchant in run.merchants
        )
        clearing_now = _ledger_total(engine, clearing_account(currency, False, RailKind.CARD).id)
        assert clearing_now - clearing_before == -(merchants_total + fee_total[currency])
