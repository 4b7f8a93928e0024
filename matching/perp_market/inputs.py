"""The perpetual's inputs besides the book's commands, journaled as the book's commands are.

The domain is deterministic given its inputs in order: the book's commands (in the book's journal) and
these. Each is stamped with `after`, the book's last sequence number when it was applied, so a replay
interleaves the two logs exactly as they happened: every input whose `after` is k runs right after book
record k. An input that sends orders to the book (a price round's liquidations) finds them in the book's
journal right after its own `after` (or, if a crash came between, sends them again).

Records reuse the book journal's framing (`matching.journal.codec`: length, CRC, seq, JSON integers):
`[tag, after, fields...]`, tag 0 deposit, 1 withdrawal, 2 configure, 3 prices. All fields are integers:
money in tUSD minor units, prices in ticks, the clock in microseconds.
"""

from __future__ import annotations

from typing import NamedTuple

from matching.journal.codec import JournalCorrupt


class Deposit(NamedTuple):
    """`amount` moved (already, by the ledger) from the trader's wallet to the deposits account."""

    ts: int
    deposit_id: int
    trader: int
    amount: int


class Withdraw(NamedTuple):
    """`amount` out of the trader's margin wallet, if what stays covers the initial margin."""

    ts: int
    withdrawal_id: int
    trader: int
    amount: int


class Configure(NamedTuple):
    """The trader's margin mode (0 cross, 1 isolated) and leverage."""

    ts: int
    trader: int
    mode: int
    leverage: int


class Prices(NamedTuple):
    """A price round: the outside (AMM) price and the book's quote in ticks; then liquidation rounds and,
    when the interval is due, funding."""

    ts: int
    outside: int
    bid: int
    ask: int
    last: int


Input = Deposit | Withdraw | Configure | Prices
_TAGS: dict[type, int] = {Deposit: 0, Withdraw: 1, Configure: 2, Prices: 3}
_TYPES = {tag: kind for kind, tag in _TAGS.items()}


class Entry(NamedTuple):
    """An input and the book's last sequence number when it was applied."""

    after: int
    input: Input


def encode_entry(entry: Entry) -> list[int]:
    return [_TAGS[type(entry.input)], entry.after, *entry.input]


def decode_entry(fields: list[int]) -> Entry:
    kind = _TYPES.get(fields[0])
    if kind is None:
        raise JournalCorrupt(f"unknown perpetual input tag {fields[0]}")
    return Entry(fields[1], kind(*fields[2:]))
