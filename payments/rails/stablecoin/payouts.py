"""Refunds of stablecoin intents, paid back on-chain: each pending refund becomes a payout, a custody-signed
`CustodyTransfer` of the token out of the treasury to the payer recorded from the intent's `Paid` event.

A payout moves `signing` -> `sent` -> `paid`, or from `signing` to `refused` when the custody group's policy
refuses to sign its transfer (final: asking again gets the same answer). A refused payout's refund fails in
the transaction that records the refusal (`record_refused`: the held amount goes back to the merchant's
balance, a `refund.updated` event is announced), so the payouts behind it are not held up by it.

Its transfer (treasury custody nonce and deadline) is written, committed, before it is signed, and its
transaction hash as soon as it is sent; so a payout worker that crashes anywhere finds, on restart, either
a transfer it has not sent (signed again: the same request gets the same signature) or one whose nonce the
treasury has consumed, which it then looks for on-chain before ever choosing another nonce
(`relay.payments.payouts`). Once the transfer is confirmed, the refund is completed
(`refunds.complete_refund`: the held amount is posted back to the customer) in the transaction that marks
the payout paid.

A payout the monitoring froze is held, not sent (`risk.monitoring`: an open or confirmed alert on the refund,
subject `payout`, or on the merchant's balance, subject `merchant`): no payout is made for its refund, and a
made one that has not chosen its custody transfer yet is not handed to the worker. One that has chosen it
may have been signed and broadcast already, so it stays with the worker, which must find out on-chain.

Before a payout is created its recipient's address is screened against the sanctions list
(`risk.screening`, trigger `payout`, the refund as subject): a listed address, or one a reviewer has not
cleared, creates no payout, so nothing is signed or sent; the refund stays pending (held) and is screened
again on every round, so a cleared hit proceeds and a listed one stays held for compliance.
"""

import enum
import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    case,
    exists,
    insert,
    literal,
    or_,
    select,
    update,
)

from ledger.store import begin_writing
from payments.intents import refunds
from payments.intents.context import Payments
from payments.intents.model import RailKind, RefundStatus
from payments.intents.postings import merchant_owner
from payments.intents.schema import payment_intents, payment_refunds
from payments.merchants.tenant import Tenant
from payments.rails.screening import cleared
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.schema import stablecoin_payments, stablecoin_payouts
from payments.rails.stablecoin.settlement import PaymentOutcome
from risk.monitoring.alerts import frozen_subjects
from risk.screening.model import Trigger
from risk.screening.screenings import Screener

log = logging.getLogger("payments.rails.stablecoin.payouts")


class PayoutStatus(enum.StrEnum):
    SIGNING = "signing"
    SENT = "sent"
    PAID = "paid"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Payout:
    refund_id: str
    payment_intent_id: str
    tenant: Tenant
    to: str
    token: str
    token_amount: int
    status: PayoutStatus
    custody_nonce: int | None
    deadline: int | None
    tx_hash: str | None


def open_payouts(
    payments: Payments, config: StablecoinConfig, screener: Screener | None = None
) -> list[Payout]:
    """A payout for every pending refund of this chain's stablecoin intents that has none yet, each
    recipient screened first when a `screener` is given (a hit holds the refund: no payout); then every
    payout neither paid nor refused, oldest first."""
    refunds_table, intents_table = payment_refunds.c, payment_intents.c
    unpaid = (
        select(
            refunds_table.id, refunds_table.payment_intent_id, refunds_table.amount, refunds_table.merchant_id
        )
        .join(payment_intents, intents_table.id == refunds_table.payment_intent_id)
        .where(
            refunds_table.status == RefundStatus.PENDING,
            intents_table.rail == RailKind.STABLECOIN,
            intents_table.livemode == config.livemode,
            ~exists().where(stablecoin_payouts.c.refund_id == refunds_table.id),
            ~_frozen(refunds_table.id, refunds_table.merchant_id, intents_table.livemode),
        )
        .order_by(refunds_table.created_at)
    )
    with payments.engine.connect() as connection:
        candidates = [
            (refund, payer)
            for refund in connection.execute(unpaid).all()
            if (payer := _payer(connection, refund.payment_intent_id)) is not None
        ]  # a refund with no settled payment to pay back is left to an operator
    # Screened outside the write transaction below: each screening commits on its own (SQLite has one writer).
    cleared = [(refund, payer) for refund, payer in candidates if _cleared(screener, refund.id, payer)]
    with payments.engine.begin() as connection:
        begin_writing(connection)
        for refund, payer in cleared:
            taken = connection.scalar(
                select(stablecoin_payouts.c.refund_id).where(stablecoin_payouts.c.refund_id == refund.id)
            )
            if taken is not None:  # a concurrent round made it meanwhile
                continue
            connection.execute(
                insert(stablecoin_payouts).values(
                    refund_id=refund.id,
                    payment_intent_id=refund.payment_intent_id,
                    merchant_id=refund.merchant_id,
                    livemode=config.livemode,
                    to=payer,
                    token=config.token,
                    token_amount=str(config.token_amount(int(refund.amount))),
                    status=PayoutStatus.SIGNING,
                    created_at=payments.clock(),
                )
            )
        table = stablecoin_payouts.c
        held = and_(
            table.custody_nonce.is_(None), _frozen(table.refund_id, table.merchant_id, table.livemode)
        )
        rows = connection.execute(
            select(stablecoin_payouts)
            .where(and_(table.status.in_((PayoutStatus.SIGNING, PayoutStatus.SENT)), ~held))
            .order_by(table.created_at)
        ).all()
    return [_payout(row) for row in rows]


def _cleared(screener: Screener | None, refund_id: str, payer: str) -> bool:
    """Whether the payout to `payer` may be made: no screener configured, or the address screens clear."""
    if screener is None:
        return True
    return cleared(screener.screen_chain_address(refund_id, payer, Trigger.PAYOUT), refund_id)


def choose_transfer(
    payments: Payments, payout: Payout, custody_nonce: int | None, deadline: int | None
) -> Payout:
    """Record (commit) the treasury nonce and deadline of the payout's transfer, before it is signed; None and
    None forget a transfer whose nonce someone else's transfer took."""
    _set(payments, payout.refund_id, custody_nonce=custody_nonce, deadline=deadline)
    return replace(payout, custody_nonce=custody_nonce, deadline=deadline)


def record_sent(payments: Payments, payout: Payout, tx_hash: str) -> Payout:
    """Record (commit) the transaction that carries the payout's transfer."""
    _set(payments, payout.refund_id, tx_hash=tx_hash, status=PayoutStatus.SENT)
    return replace(payout, tx_hash=tx_hash, status=PayoutStatus.SENT)


def complete(payments: Payments, payout: Payout) -> None:
    """The payout's transfer is confirmed: the refund succeeds and the payout is paid, in one transaction."""
    with payments.engine.begin() as connection:
        begin_writing(connection)
        refunds.complete_refund(
            payments.joining(lambda: connection), payout.tenant, payout.refund_id, succeeded=True
        )
        connection.execute(
            update(stablecoin_payouts)
            .where(stablecoin_payouts.c.refund_id == payout.refund_id)
            .values(status=PayoutStatus.PAID)
        )


def record_refused(payments: Payments, payout: Payout, reason: str) -> bool:
    """The custody group's policy refused the payout's transfer: the payout is `refused` (with the nodes'
    reason) and its refund failed, the held amount back on the merchant's balance, in one transaction; False
    if the payout was no longer `signing` (another worker recorded it first: nothing changed)."""
    with payments.engine.begin() as connection:
        begin_writing(connection)
        refused = connection.execute(
            update(stablecoin_payouts)
            .where(
                stablecoin_payouts.c.refund_id == payout.refund_id,
                stablecoin_payouts.c.status == PayoutStatus.SIGNING,
            )
            .values(status=PayoutStatus.REFUSED, refusal=reason[:300])
        )
        if refused.rowcount != 1:
            return False
        refunds.complete_refund(
            payments.joining(lambda: connection), payout.tenant, payout.refund_id, succeeded=False
        )
    return True


def refunds_by_custody_nonce(
    engine: Engine, token: str, livemode: bool, nonces: Collection[int]
) -> dict[int, str]:
    """The refund whose payout chose each of `nonces` of `token`'s custody nonces (those no payout chose are
    absent): the chain's `CustodyTransferred` names only (token, nonce), so this is reconciliation's link
    from a treasury transfer to the refund it paid, as a bank's EndToEndId is."""
    if not nonces:
        return {}
    table = stablecoin_payouts.c
    query = select(table.custody_nonce, table.refund_id).where(
        table.token == to_checksum_address(token),
        table.livemode == livemode,
        table.custody_nonce.in_(sorted(nonces)),
    )
    with engine.connect() as connection:
        return {int(nonce): refund_id for nonce, refund_id in connection.execute(query).all()}


def _frozen(
    refund_id: ColumnElement[str], merchant_id: ColumnElement[str], livemode: ColumnElement[bool]
) -> ColumnElement[bool]:
    """The refund's payout, or its merchant's balance in that mode, is frozen by the monitoring."""
    prefix = case((livemode, literal(merchant_owner(True, ""))), else_=literal(merchant_owner(False, "")))
    owner = prefix + merchant_id  # the merchant's ledger owner id, `payments.intents.postings.merchant_owner`
    return or_(frozen_subjects("payout", refund_id), frozen_subjects("merchant", owner))


def _payer(connection: Connection, intent_id: str) -> str | None:
    table = stablecoin_payments.c
    query = select(table.payer).where(
        and_(table.payment_intent_id == intent_id, table.outcome == PaymentOutcome.SUCCEEDED)
    )
    return connection.execute(query).scalars().first()


def _set(payments: Payments, refund_id: str, **values: object) -> None:
    with payments.engine.begin() as connection:
        connection.execute(
            update(stablecoin_payouts).where(stablecoin_payouts.c.refund_id == refund_id).values(**values)
        )


def _payout(row: Row[Any]) -> Payout:
    values = row._mapping
    return Payout(
        refund_id=values["refund_id"],
        payment_intent_id=values["payment_intent_id"],
        tenant=Tenant(values["merchant_id"], bool(values["livemode"])),
        to=values["to"],
        token=values["token"],
        token_amount=int(values["token_amount"]),
        status=PayoutStatus(values["status"]),
        custody_nonce=values["custody_nonce"],
        deadline=values["deadline"],
        tx_hash=values["tx_hash"],
    )
