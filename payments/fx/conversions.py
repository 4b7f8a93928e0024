"""Converting a quote: once, before it expires, at its rate, as one linked chain of ledger transfers.

In one database transaction: the quote is locked and checked (its owner's, not converted yet, not expired),
the customer's accounts checked (they exist, hold the quote's currencies, are not the desk's own), the two
currencies' books opened, and the ledger asked for a linked chain, all or none:

    sell currency:  customer sell account -> desk position            sell_amount
    buy currency:   desk position -> customer buy account             buy_amount
                    desk position -> spread account                   the spread, rounded half to even
                    desk position <-> rounding account                whole units of the rounding carry

Every transfer moves one currency between two accounts of it, so each currency balances on its own; and in
the buy currency the desk's position gives up exactly the sell amount's mid value, in whole minor units now
plus the carry (docs/fx.md). The conversion's row is unique per quote: a second conversion of the same
quote, even one racing this one, is refused (`QuoteUsed`).
"""

import secrets
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.accounts import lookup_account
from ledger.ids import new_id
from ledger.model import TransferFlags, TransferSpec
from ledger.store import begin_writing
from ledger.transfers import create_transfers
from payments.fx.books import Book, house_accounts, open_books, store_carry
from payments.fx.currency import Currency, currency
from payments.fx.errors import AccountRefused, ConversionRefused, QuoteExpired, QuoteUsed
from payments.fx.pricing import Price, booking, carry
from payments.fx.quotes import Quote, read_quote
from payments.fx.schema import conversions

ID_PREFIX: Final = "fxc_"
_CUSTOMER_SIDES: Final = ("sell_account_id", "buy_account_id")


@dataclass(frozen=True, slots=True)
class Conversion:
    id: str
    quote: Quote
    sell_account_id: int
    buy_account_id: int
    sell_transfer_id: int
    buy_transfer_id: int
    spread_amount: int
    """Buy-currency minor units booked to the spread account."""
    rounding_booked: int
    """Whole buy-currency minor units booked to (positive) or from (negative) the rounding account."""
    created_at: int


def _check_account(connection: Connection, account_id: int, expected: Currency, field: str) -> None:
    account = lookup_account(connection, account_id)
    if account is None:
        raise AccountRefused(f"the ledger has no account {account_id}", field)
    if account.currency != expected.ledger_code:
        raise AccountRefused(
            f"account {account_id} holds {account.currency}; this side of the quote is {expected}", field
        )


def _transfers(
    conversion_id: str,
    quote: Quote,
    sell: Book,
    buy: Book,
    accounts: tuple[int, int],
    spread: int,
    booked: int,
) -> list[TransferSpec]:
    def move(name: str, debit: int, credit: int, amount: int, book: Book) -> TransferSpec:
        return TransferSpec(
            reference=f"{conversion_id}:{name}",
            debit_account_id=debit,
            credit_account_id=credit,
            amount=amount,
            currency=book.currency,
            id=new_id(),
            flags=TransferFlags.LINKED,
        )

    specs = [
        move("sell", accounts[0], sell.position_account_id, quote.sell_amount, sell),
        move("buy", buy.position_account_id, accounts[1], quote.buy_amount, buy),
    ]
    if spread:
        specs.append(move("spread", buy.position_account_id, buy.spread_account_id, spread, buy))
    if booked > 0:
        specs.append(move("rounding", buy.position_account_id, buy.rounding_account_id, booked, buy))
    elif booked < 0:
        specs.append(move("rounding", buy.rounding_account_id, buy.position_account_id, -booked, buy))
    specs[-1] = replace(specs[-1], flags=TransferFlags.NONE)  # the chain ends at its last transfer
    return specs


def _refusal(outcomes: list[Any]) -> ConversionRefused | None:
    for outcome in outcomes:
        if outcome.result in ("ok", "linked_event_failed"):
            continue
        if outcome.index < len(_CUSTOMER_SIDES):
            field = _CUSTOMER_SIDES[outcome.index]
            return ConversionRefused(f"the ledger refused the transfer of {field}: {outcome.result}", field)
        raise RuntimeError(f"the ledger refused the FX desk's own transfer {outcome.index}: {outcome.result}")
    return None


def convert(
    connection: Connection, quote_id: str, owner: str, *, sell_account_id: int, buy_account_id: int, now: int
) -> Conversion:
    """Convert `owner`'s quote `quote_id` at `now` (ns), from and to the customer's two ledger accounts."""
    begin_writing(connection)
    quote = read_quote(connection, quote_id, owner, lock=True)
    done = connection.execute(select(conversions.c.id).where(conversions.c.quote_id == quote_id)).scalar()
    if done is not None:
        raise QuoteUsed(f"quote {quote_id} was converted already (conversion {done}): ask for a new quote")
    if now >= quote.expires_at:
        raise QuoteExpired(f"quote {quote_id} has expired: ask for a new quote")
    sell, buy = currency(quote.sell_currency), currency(quote.buy_currency)
    _check_account(connection, sell_account_id, sell, "sell_account_id")
    _check_account(connection, buy_account_id, buy, "buy_account_id")
    desk = house_accounts(connection)
    for field, account_id in zip(_CUSTOMER_SIDES, (sell_account_id, buy_account_id), strict=True):
        if account_id in desk:
            raise AccountRefused(f"account {account_id} is the FX desk's own, not a customer's", field)
    books = open_books(connection, (sell.ledger_code, buy.ledger_code))
    sell_book, buy_book = books[sell.ledger_code], books[buy.ledger_code]
    priced = Price(quote.mid_rate, quote.rate, quote.spread_bps, quote.sell_amount, quote.buy_amount)
    plan = booking(priced, sell, buy)
    booked, carried = carry(buy_book.carry, plan.remainder)
    conversion_id = ID_PREFIX + secrets.token_hex(12)
    accounts = (sell_account_id, buy_account_id)
    specs = _transfers(conversion_id, quote, sell_book, buy_book, accounts, plan.spread, booked)
    refusal = _refusal(create_transfers(connection, specs))
    if refusal is not None:
        raise refusal
    store_carry(connection, buy_book.currency, carried)
    conversion = Conversion(
        conversion_id, quote, *accounts, specs[0].id or 0, specs[1].id or 0, plan.spread, booked, now
    )
    try:
        connection.execute(insert(conversions).values(**_row(conversion)))
    except IntegrityError:  # a concurrent conversion of this quote committed first (SQLite: never)
        raise QuoteUsed(f"quote {quote_id} was converted already: ask for a new quote") from None
    return conversion


def _row(conversion: Conversion) -> dict[str, Any]:
    return {
        "id": conversion.id,
        "quote_id": conversion.quote.id,
        "sell_account_id": conversion.sell_account_id,
        "buy_account_id": conversion.buy_account_id,
        "sell_transfer_id": conversion.sell_transfer_id,
        "buy_transfer_id": conversion.buy_transfer_id,
        "spread_amount": conversion.spread_amount,
        "rounding_booked": conversion.rounding_booked,
        "created_at": conversion.created_at,
    }
