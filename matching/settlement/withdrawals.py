"""Withdrawals of a trader's exchange balance to a chain address, cleared through the treasury.

A withdrawal debits the trader's spot account (`matching.spot.accounts.trader_account`: what trading left
it, net of every buy, sell and fee) into the withdrawals clearing account of its currency, in the same
database transaction as its `settlement_withdrawals` row (`request_withdrawal` runs in the caller's
transaction, which also stores the API's idempotent answer): the ledger refuses a debit beyond the
available balance (the account may not go below zero), so nothing is recorded then, and the money cannot be
spent twice once it is. The clearing account's balance is what was withdrawn and is, or is being, paid out.

The payout itself is the treasury's custody path (`relay.settlement.withdrawals` over
`relay.payments.custody_transfers`): `signing` (the treasury nonce and deadline stored before the custody
group signs) -> `sent` (the transaction hash) -> `paid` (confirmed on-chain); or, from `signing`, `refused`
when the custody group's policy refuses to sign (asking again gets the same answer): the debit is returned
to the trader's account in the transaction that records the refusal and its reason, and the next withdrawal
takes the treasury nonce this one never used.

Ledger units are 10^-6 of a token (`docs/matching.md`, "Units"); on-chain amounts are the token's base
units: tUSD has 6 decimals (one unit is one base unit), TPW 18 (one unit is 10^12 wei).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, Row, insert, select, update

from ledger.accounts import create_accounts
from ledger.model import AccountSpec, OwnerKind, TransferSpec
from ledger.results import CreateTransferResult
from ledger.transfers import create_transfers
from matching.settlement.schema import settlement_withdrawals
from matching.spot.accounts import derived_id, trader_account


@dataclass(frozen=True)
class Withdrawable:
    """A token a trader may withdraw: its ledger code and how many base units one ledger unit is."""

    token: str
    ledger_code: str
    base_units_per_unit: int


WITHDRAWABLE: Final = {
    "tUSD": Withdrawable("tUSD", "QTU", 1),
    "TPW": Withdrawable("TPW", "TPW", 10**12),
}


class WithdrawalRefused(ValueError):
    """The trader's available balance does not cover the withdrawal: nothing was written."""


@dataclass(frozen=True)
class Withdrawal:
    id: str
    merchant_id: str
    livemode: bool
    trader: int
    currency: str
    amount: int
    token_amount: int
    to: str
    status: str
    custody_nonce: int | None
    deadline: int | None
    tx_hash: str | None
    created_us: int
    paid_us: int | None
    refusal: str | None = None


def clearing_account(ledger_code: str) -> int:
    """The account withdrawn balances move to, per ledger currency (derived like the spot accounts)."""
    return derived_id(f"withdrawals|{ledger_code}")


def _withdrawal(row: Row[Any]) -> Withdrawal:
    values = dict(row._mapping)
    values["token_amount"] = int(values["token_amount"])
    return Withdrawal(**values)


def request_withdrawal(
    connection: Connection, merchant_id: str, livemode: bool, trader: int, token: str, amount: int, to: str
) -> Withdrawal:
    """Debit `amount` ledger units of `token` from `trader` and record the withdrawal to `to`, in the
    caller's transaction; `WithdrawalRefused` (nothing written) beyond the available balance."""
    what = WITHDRAWABLE[token]
    withdrawal_id = f"wd_{secrets.token_hex(12)}"
    create_accounts(
        connection,
        [
            AccountSpec(
                clearing_account(what.ledger_code), what.ledger_code, OwnerKind.TREASURY, "withdrawals"
            )
        ],
    )
    (outcome,) = create_transfers(
        connection,
        [
            TransferSpec(
                reference=f"withdrawal:{withdrawal_id}",
                debit_account_id=trader_account(trader, what.ledger_code),
                credit_account_id=clearing_account(what.ledger_code),
                amount=amount,
                currency=what.ledger_code,
            )
        ],
    )
    if outcome.result in (CreateTransferResult.EXCEEDS_CREDITS, CreateTransferResult.DEBIT_ACCOUNT_NOT_FOUND):
        raise WithdrawalRefused(f"the available {token} balance is below {amount} units")
    if not outcome.ok:
        raise RuntimeError(f"withdrawal {withdrawal_id}: {outcome.result}")
    row = {
        "id": withdrawal_id,
        "merchant_id": merchant_id,
        "livemode": livemode,
        "trader": trader,
        "currency": token,
        "amount": amount,
        "token_amount": str(amount * what.base_units_per_unit),
        "to": to,
        "status": "signing",
        "created_us": time.time_ns() // 1_000,
    }
    connection.execute(insert(settlement_withdrawals).values(**row))
    found = connection.execute(
        select(settlement_withdrawals).where(settlement_withdrawals.c.id == withdrawal_id)
    )
    return _withdrawal(found.one())


def find_withdrawal(engine: Engine, withdrawal_id: str) -> Withdrawal | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(settlement_withdrawals).where(settlement_withdrawals.c.id == withdrawal_id)
        ).first()
    return None if row is None else _withdrawal(row)


def open_withdrawals(engine: Engine, livemode: bool) -> list[Withdrawal]:
    """Every withdrawal of `livemode` still to pay (neither paid nor refused), oldest first (the payout
    worker's queue): a chain pays one mode's withdrawals, as a stablecoin rail pays one mode's refunds, so
    sandbox balances never leave through the live treasury."""
    table = settlement_withdrawals.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(settlement_withdrawals)
            .where(table.status.in_(("signing", "sent")), table.livemode == livemode)
            .order_by(table.created_us, table.id)
        )
        return [_withdrawal(row) for row in rows]


def _set(engine: Engine, withdrawal_id: str, **values: object) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(settlement_withdrawals)
            .where(settlement_withdrawals.c.id == withdrawal_id)
            .values(**values)
        )


def choose_transfer(
    engine: Engine, withdrawal_id: str, custody_nonce: int | None, deadline: int | None
) -> None:
    """Commit the treasury nonce and deadline of the withdrawal's transfer before it is signed."""
    _set(engine, withdrawal_id, custody_nonce=custody_nonce, deadline=deadline)


def record_sent(engine: Engine, withdrawal_id: str, tx_hash: str) -> None:
    _set(engine, withdrawal_id, status="sent", tx_hash=tx_hash)


def record_paid(engine: Engine, withdrawal_id: str) -> None:
    _set(engine, withdrawal_id, status="paid", paid_us=time.time_ns() // 1_000)


def record_refused(engine: Engine, withdrawal: Withdrawal, reason: str) -> bool:
    """Refuse a `signing` withdrawal and give its amount back to the trader, in one transaction (the
    return's reference derives from the withdrawal, so it is made once); False if it was no longer
    `signing` (nothing changed)."""
    what = WITHDRAWABLE[withdrawal.currency]
    with engine.begin() as connection:
        refused = connection.execute(
            update(settlement_withdrawals)
            .where(settlement_withdrawals.c.id == withdrawal.id, settlement_withdrawals.c.status == "signing")
            .values(status="refused", refusal=reason[:300])
        )
        if refused.rowcount != 1:
            return False
        (outcome,) = create_transfers(
            connection,
            [
                TransferSpec(
                    reference=f"withdrawal:{withdrawal.id}:returned",
                    debit_account_id=clearing_account(what.ledger_code),
                    credit_account_id=trader_account(withdrawal.trader, what.ledger_code),
                    amount=withdrawal.amount,
                    currency=what.ledger_code,
                )
            ],
        )
        if not outcome.ok:
            raise RuntimeError(f"returning withdrawal {withdrawal.id}: {outcome.result}")
    return True
