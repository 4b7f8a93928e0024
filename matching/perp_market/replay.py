"""A perpetual market's recovery at open: both journals replayed into the domain, in the order they
happened, posting what the ledger lacks.

The book's records and the inputs are merged by each input's `after` (the book's last seq when it was
applied). A book record becomes a step of its own, unless a price round sent it (its liquidation orders
follow the input in the book's journal and are consumed by the input's replay). Each step past the cursor
is stored (transfers and records: answered `exists` / skipped where a first run stored them). A price
round whose liquidation orders the crash cut off the book's journal sends them now, through the book.

A second engine runs every book record (the domain needs each command's events, which the journal does
not hold; the tape, `matching.spot.tape`, is rebuilt from them too); its state hash must equal the book's
at the end, or the two disagree about history. Then the deposits the ledger moved but no input names are
given back to their wallets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matching.engine import Engine, Event, Place, state_hash
from matching.journal.book import JOURNAL_NAME
from matching.journal.codec import decode_records
from matching.perp_market.accounts import CURRENCY, deposits_account
from matching.perp_market.inputs import Deposit, Withdraw
from matching.spot.feed import Feed
from matching.spot.poster import release_unjournaled

if TYPE_CHECKING:
    from matching.perp_market.market import PerpMarket


def recover(market: PerpMarket) -> None:
    records, _ = decode_records((market.directory / JOURNAL_NAME).read_bytes())
    cursor = market.read_cursor()
    shadow = Engine()
    runner = market.runner
    position = 0

    def book_until(seq: int) -> None:
        nonlocal position
        while position < len(records) and records[position][0] <= seq:
            book_seq, cmd = records[position]
            position += 1
            events = shadow.process(cmd)
            market.tape.record(book_seq, cmd.ts, events)
            outcome = runner.book(book_seq, cmd, events)
            if book_seq > cursor.book:
                market.store(f"b{book_seq}", outcome)

    def submit(place: Place) -> tuple[int, list[Event]]:
        nonlocal position
        if position < len(records):
            book_seq, cmd = records[position]
            if cmd != place:
                raise RuntimeError(
                    f"{market.id}: book record {records[position][0]} is not the liquidation {place}"
                )
            position += 1
            events = shadow.process(cmd)
            market.tape.record(book_seq, cmd.ts, events)
            return book_seq, events
        shadow.process(place)
        return market.submit_live(place)

    deposits: set[int] = set()
    for input_seq, entry in market.inputs.records:
        book_until(entry.after)
        outcome = runner.input(input_seq, entry, submit)
        if isinstance(entry.input, Deposit):
            deposits.add(entry.input.deposit_id)
            market.transfers_done[entry.input.deposit_id] = True
        elif isinstance(entry.input, Withdraw):
            market.transfers_done[entry.input.withdrawal_id] = outcome.accepted
        if input_seq > cursor.input:
            market.store(f"i{input_seq}", outcome)
    book_until(records[-1][0] if records else 0)
    market.inputs.records = []  # replayed: the domain holds their effect now
    market.feed = Feed(market.book.last_seq + market.inputs.last_seq)  # past any seq sent before
    if state_hash(shadow) != market.book.state_hash():
        raise RuntimeError(f"{market.id}: the journal replayed does not give the book's state")
    market.write_cursor()
    market.deposits_released = release_unjournaled(
        market.database, deposits_account(market.id), CURRENCY, f"perp:{market.id}:deposit:", deposits
    )
