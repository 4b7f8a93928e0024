"""The FX desk's books: per currency, a position, a spread and a rounding account, opened on first use.

The position account is what the desk holds of the currency (credited with what customers sell, debited with
what they buy: it may go either way, so it has no balance flag); the spread account collects the spread
earned; the rounding account the whole minor units of rounding differences, its `carry` the fraction of one
not booked yet (a rational, kept exact as text "p/q"). A book is created, and its three ledger accounts with
it, in the transaction of the first conversion that needs it; two first conversions racing meet on the
primary key (INSERT ... ON CONFLICT DO NOTHING), and the loser drops its accounts and uses the winner's.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ledger.accounts import create_accounts
from ledger.ids import new_id
from ledger.model import AccountSpec, OwnerKind
from payments.fx.schema import books

OWNERS: Final = {
    "position": (OwnerKind.FX_POSITION, "fx-desk"),
    "spread": (OwnerKind.FEES, "fx-spread"),
    "rounding": (OwnerKind.FX_POSITION, "fx-rounding"),
}
"""A book's accounts by role (`<role>_account_id` in `fx_books`), and the ledger owner each is opened for."""


@dataclass(frozen=True, slots=True)
class Book:
    """One currency's book as locked by this transaction: `currency` is the ledger's code."""

    currency: str
    position_account_id: int
    spread_account_id: int
    rounding_account_id: int
    carry: Fraction

    @property
    def account_ids(self) -> frozenset[int]:
        return frozenset((self.position_account_id, self.spread_account_id, self.rounding_account_id))


def _insert_if_absent(connection: Connection, row: Mapping[str, object]) -> bool:
    """Insert `row` unless its currency has a book; whether this call inserted it."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(books).values(**row).on_conflict_do_nothing(index_elements=["currency"])
    # RETURNING, not rowcount: a single-row INSERT's rowcount is not what was inserted on every driver.
    return connection.execute(statement.returning(books.c.currency)).first() is not None


def _create(connection: Connection, currency: str) -> None:
    """Open the ledger accounts, then the book naming them, unless a concurrent transaction's book won; on
    PostgreSQL the loser's accounts are rolled back with a savepoint (SQLite has no concurrent writer)."""
    savepoint = connection.begin_nested() if connection.dialect.name == "postgresql" else None
    ids = {role: new_id() for role in OWNERS}
    specs = [AccountSpec(ids[role], currency, kind, owner) for role, (kind, owner) in OWNERS.items()]
    failed = [outcome for outcome in create_accounts(connection, specs) if outcome.result != "ok"]
    if failed:
        raise RuntimeError(f"the ledger refused the FX accounts of {currency}: {failed}")
    row = {f"{role}_account_id": ids[role] for role in OWNERS} | {"currency": currency, "rounding_carry": "0"}
    won = _insert_if_absent(connection, row)
    if savepoint is not None:
        (savepoint.commit if won else savepoint.rollback)()


def open_books(connection: Connection, currencies: Iterable[str]) -> dict[str, Book]:
    """The books of `currencies` (ledger codes), created if new, locked for this transaction in code order
    (so two conversions of opposite pairs never wait on each other crosswise)."""
    found: dict[str, Book] = {}
    for currency in sorted(set(currencies)):
        query = select(books).where(books.c.currency == currency).with_for_update()
        row = connection.execute(query).one_or_none()
        if row is None:
            _create(connection, currency)
            row = connection.execute(query).one()
        found[currency] = Book(
            currency,
            row.position_account_id,
            row.spread_account_id,
            row.rounding_account_id,
            Fraction(row.rounding_carry),
        )
    return found


def store_carry(connection: Connection, currency: str, carry: Fraction) -> None:
    connection.execute(update(books).where(books.c.currency == currency).values(rounding_carry=str(carry)))


def house_accounts(connection: Connection) -> frozenset[int]:
    """Every ledger account of the desk's books (never a customer's)."""
    rows = connection.execute(
        select(books.c.position_account_id, books.c.spread_account_id, books.c.rounding_account_id)
    )
    return frozenset(account_id for row in rows for account_id in row)
