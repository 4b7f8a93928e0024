"""One step of the perpetual as ledger transfers: every unit the domain moved, with its cause, linked.

A step is one journaled command or input and everything it caused (fills, margin calls, liquidation
rounds, take-overs, ADL, funding). `Step` snapshots each account's money before (`total_money`: both
margin buckets, which are one ledger account) and the fees; the causes the domain names are explicit
transfers (fees, liquidation fees, insurance draws, funding, deposits, withdrawals); what each account's
money moved beyond them is realised PnL (from fills, take-overs and ADL), settled against the market's
clearing account. So after every step each margin account, the fund and the fees account hold exactly
the domain's figures, by construction, and a fee account moving by anything but a fee is a bug (raised).

Every transfer of a step has the reference `perp:<market>:<key>:<n>` (key `b<book seq>` or `i<input
seq>`) and the step's transfers are one linked chain, all or none: a replay of the journals names the same
transfers with the same amounts, so posting them again is answered `exists` (`matching.spot.poster.post`).
The ledger `code` of each transfer is its `Cause`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import NamedTuple

from ledger.model import TransferFlags, TransferSpec
from matching.engine import Event, Side, Trade
from matching.perp_market.accounts import (
    CURRENCY,
    clearing_account,
    fees_account,
    fund_account,
    funding_account,
    margin_account,
)
from matching.perpetuals.margin import fee
from matching.perpetuals.market import Perpetual
from matching.perpetuals.records import (
    Deleveraged,
    FundingPaid,
    InsuranceMoved,
    LiquidationFilled,
    Record,
    TakenOver,
)


class Cause(IntEnum):
    """Why money moved: the ledger transfer's `code`."""

    PNL = 1
    FEE = 2
    LIQUIDATION_FEE = 3
    FUNDING = 4
    INSURANCE = 5
    DEPOSIT = 6
    WITHDRAWAL = 7
    TAKEOVER = 8
    ADL = 9


class Move(NamedTuple):
    debit: int
    credit: int
    amount: int
    cause: Cause


class Step:
    """The money of one step: open it before the domain changes, `specs()` after."""

    def __init__(self, perp: Perpetual, market: str, key: str) -> None:
        self.perp = perp
        self.market = market
        self.key = key
        self.before = self._money()
        self.fees_before = perp.fees
        self.moves: list[Move] = []

    def _money(self) -> dict[int, int]:
        return {account.id: account.total_money() for account in self.perp.everyone()}

    def move(self, debit: int, credit: int, amount: int, cause: Cause) -> None:
        """An explicit transfer (`amount` may be negative: it then goes the other way)."""
        if amount < 0:
            debit, credit, amount = credit, debit, -amount
        if amount:
            self.moves.append(Move(debit, credit, amount, cause))

    def trades(self, events: Iterable[Event], liquidation_orders: set[int]) -> None:
        """The ordinary fees of the trades in `events` (a liquidation order's fee is in its record)."""
        spec = self.perp.spec
        for event in events:
            if not isinstance(event, Trade):
                continue
            sides = ((event.taker_account, event.taker_id, spec.taker_fee_bps),
                     (event.maker_account, event.maker_id, spec.maker_fee_bps))  # fmt: skip
            for account, order_id, bps in sides:
                if order_id in liquidation_orders:
                    continue
                lots = event.qty if event.taker_side == Side.BUY else -event.qty
                self.move(margin_account(self.market, account), fees_account(self.market),
                          fee(lots, event.price, bps, spec), Cause.FEE)  # fmt: skip

    def records(self, records: Iterable[Record]) -> None:
        """The explicit moves the domain's records name."""
        funding = funding_account(self.market)
        for record in records:
            if isinstance(record, LiquidationFilled):
                self.move(margin_account(self.market, record.account), fund_account(self.market),
                          record.fee, Cause.LIQUIDATION_FEE)  # fmt: skip
            elif isinstance(record, InsuranceMoved):
                self.move(margin_account(self.market, record.account), fund_account(self.market),
                          record.amount, Cause.INSURANCE)  # fmt: skip
            elif isinstance(record, FundingPaid):
                self.move(margin_account(self.market, record.account), funding, -record.amount, Cause.FUNDING)

    def specs(self, records: Sequence[Record]) -> list[TransferSpec]:
        """The step's linked transfers: the explicit moves, then each account's PnL against clearing."""
        net: defaultdict[int, int] = defaultdict(int)
        for m in self.moves:
            net[m.debit] -= m.amount
            net[m.credit] += m.amount
        if net[fees_account(self.market)] != self.perp.fees - self.fees_before:
            raise AssertionError(f"{self.key}: the fees moved by something other than a fee")
        causes = {r.account: Cause.TAKEOVER for r in records if isinstance(r, TakenOver)}
        for r in records:
            if isinstance(r, Deleveraged):
                causes[r.account] = causes[r.counterparty] = Cause.ADL
        moves = list(self.moves)
        after = self._money()
        clearing = clearing_account(self.market)
        for account_id in sorted(set(after) | set(self.before)):
            ledger_id = margin_account(self.market, account_id)
            pnl = after.get(account_id, 0) - self.before.get(account_id, 0) - net[ledger_id]
            cause = causes.get(account_id, Cause.PNL)
            if pnl > 0:
                moves.append(Move(clearing, ledger_id, pnl, cause))
            elif pnl < 0:
                moves.append(Move(ledger_id, clearing, -pnl, cause))
        return [
            TransferSpec(
                reference=f"perp:{self.market}:{self.key}:{n}",
                debit_account_id=m.debit,
                credit_account_id=m.credit,
                amount=m.amount,
                currency=CURRENCY,
                code=int(m.cause),
                flags=TransferFlags.LINKED if n < len(moves) - 1 else TransferFlags.NONE,
            )
            for n, m in enumerate(moves)
        ]
