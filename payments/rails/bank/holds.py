"""Bank refunds held by the sanctions screening, and the round that sends them once they are cleared.

`BankRail.refund` screens the refund's IBAN first; a hit sends nothing and records the refund here (`held`,
with the rail request it was asked, so the round can ask it again without the intent). Each round re-screens
every held refund, as the stablecoin payouts are re-screened (`payments.rails.stablecoin.payouts`): the list
may have changed, or a reviewer decided a potential match. Then:

- clear: the row is claimed (`sending`, a conditional update, so two API processes cannot both take it),
  the pain.001 is sent, and the row becomes `sent`. A crash or an unreachable bank between the claim and
  `sent` leaves `sending`, which the next round sends again: the MsgId is derived from the refund's
  idempotency key (`references.message_id`), so the bank answers its first answer and books it once.
- blocked (an exact match, or a hit a reviewer confirmed): `blocked`, nothing sent; the refund stays
  `pending` with its money held on the ledger, for compliance to act on (re-screened each round, so a
  delisting releases it).
- still waiting for a reviewer: `held`.

A pain.002 rejecting the released transfer marks the row `rejected` (the refund stays pending, its money
held, for an operator; the bank never booked it). The rest of the refund's life (the bank's notification
posting or voiding the hold) is the ordinary one (`payments.rails.bank.notifications`).
"""

import enum
import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Final

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, Text, insert, select, update

from chain.sql_naming import SQL_NAMING_CONVENTION
from payments.intents.model import RefundStatus
from payments.intents.rails import OutcomeKind, RailOutcome, RailRequest
from payments.intents.schema import payment_refunds
from risk.screening.model import Screening, Standing

log = logging.getLogger(__name__)

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)


class HoldStatus(enum.StrEnum):
    HELD = "held"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    REJECTED = "rejected"


_OPEN: Final = (HoldStatus.HELD, HoldStatus.BLOCKED, HoldStatus.SENDING)

bank_refund_holds: Final = Table(
    "bank_refund_holds",
    metadata,
    Column("refund_id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("screening_id", String(40), nullable=False),
    Column("request", Text, nullable=False),
    Column("held_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)
"""Migrated by api/migrations/versions/0028_bank_refund_holds.py."""


def refund_id_of(request: RailRequest) -> str:
    """The refund a rail request is about: its idempotency key is `<intent id>:refund:<refund id>`."""
    return request.idempotency_key.rpartition(":")[2]


def record_hold(engine: Engine, request: RailRequest, screening: Screening, now: int) -> None:
    """The refund of `request` is held by `screening`; a refund asked again keeps its one row."""
    refund_id = refund_id_of(request)
    status = HoldStatus.BLOCKED if screening.standing is Standing.BLOCKED else HoldStatus.HELD
    with engine.begin() as connection:
        known = connection.execute(
            select(bank_refund_holds.c.status).where(bank_refund_holds.c.refund_id == refund_id)
        ).first()
        if known is None:
            connection.execute(
                insert(bank_refund_holds),
                {
                    "refund_id": refund_id,
                    "status": status,
                    "screening_id": screening.id,
                    "request": json.dumps(asdict(request), sort_keys=True),
                    "held_at": now,
                    "updated_at": now,
                },
            )


def _set(engine: Engine, refund_id: str, status: HoldStatus, now: int, *, was: tuple[str, ...]) -> bool:
    """Move the row to `status` if it is in one of `was`; whether it moved (the claim)."""
    table = bank_refund_holds
    with engine.begin() as connection:
        moved = connection.execute(
            update(table)
            .where(table.c.refund_id == refund_id, table.c.status.in_(was))
            .values(status=status, updated_at=now)
        ).rowcount
    return moved == 1


def release_held(
    engine: Engine,
    screen: Callable[[RailRequest], Screening],
    send: Callable[[RailRequest], RailOutcome],
    now: int,
) -> dict[str, HoldStatus]:
    """One round over the held refunds still pending: each re-screened (`screen`), a clear one sent once
    (`send`, the rail's pain.001); answers each refund's status after the round."""
    table = bank_refund_holds
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.refund_id, table.c.status, table.c.request)
            .join(payment_refunds, payment_refunds.c.id == table.c.refund_id)
            .where(table.c.status.in_(_OPEN), payment_refunds.c.status == RefundStatus.PENDING)
            .order_by(table.c.held_at, table.c.refund_id)
        ).all()
    after: dict[str, HoldStatus] = {}
    for row in rows:
        request = RailRequest(**json.loads(row.request))
        standing = screen(request).standing
        if standing is not Standing.CLEAR:
            status = HoldStatus.BLOCKED if standing is Standing.BLOCKED else HoldStatus.HELD
            _set(engine, row.refund_id, status, now, was=(HoldStatus.HELD, HoldStatus.BLOCKED))
            after[row.refund_id] = status
            continue
        if row.status != HoldStatus.SENDING and not _set(
            engine, row.refund_id, HoldStatus.SENDING, now, was=(HoldStatus.HELD, HoldStatus.BLOCKED)
        ):
            continue  # another process claimed it this round
        outcome = send(request)  # raises when the bank is unreachable: `sending` is retried next round
        done = HoldStatus.REJECTED if outcome.kind is not OutcomeKind.PROCESSING else HoldStatus.SENT
        _set(engine, row.refund_id, done, now, was=(HoldStatus.SENDING,))
        log.info("held refund %s released after screening: %s", row.refund_id, done)
        after[row.refund_id] = done
    return after


def hold_status(engine: Engine, refund_id: str) -> HoldStatus | None:
    """The hold's status, None for a refund never held."""
    with engine.connect() as connection:
        found = connection.execute(
            select(bank_refund_holds.c.status).where(bank_refund_holds.c.refund_id == refund_id)
        ).scalar()
    return None if found is None else HoldStatus(found)
