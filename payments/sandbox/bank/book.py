"""The sandbox bank's books: accepting pain.001 transfers, settling them after the delay, and the reports.

`submit` answers a pain.001 at once with a pain.002: FF01 for a document the schema refuses (HTTP 400),
the first answer again for a MsgId seen before with the same transfer, AM05 (duplication, HTTP 409) for a
MsgId reused for another one, AC01 / AC04 / AM03 for an unknown or closed account or another currency, and
ACTC (accepted) otherwise. `settle_due` executes accepted transfers whose time has come, each in one
transaction: AM04 if the debtor's balance is short, else debit and credit, followed at once by a return
(AC06) when either account returns what it gets; each queues a pain.002 and, for a booking on the
collection account, a camt.054, in the same transaction (`webhooks`, sent by `delivery`).
"""

import datetime
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection, Engine, func, insert, select, update

from payments.rails.bank import camt, pain001, pain002
from payments.rails.bank.camt import Entry, Report
from payments.rails.bank.pain001 import CreditTransfer
from payments.rails.bank.pain002 import StatusReport, TransferStatus
from payments.rails.bank.reasons import Reason
from payments.rails.bank.xsd import InvalidMessage
from payments.sandbox.bank.accounts import CURRENCY, TEST_ACCOUNTS, AccountState
from payments.sandbox.bank.schema import accounts, entries, metadata, transfers, webhooks

NOT_PROVIDED: Final = "NOTPROVIDED"
CURRENCY_NOT_ALLOWED: Final = "AM03"
ACCEPTED, REJECTED, SETTLED, RETURNED = "accepted", "rejected", "settled", "returned"


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: bytes


def _digest(transfer: CreditTransfer) -> str:
    """What makes two initiations the same transfer (not their creation time)."""
    fields = (
        transfer.end_to_end_id,
        transfer.remittance,
        transfer.debtor.iban,
        transfer.creditor.iban,
        str(transfer.amount),
        transfer.currency,
    )
    return hashlib.sha256("\n".join(fields).encode()).hexdigest()


def _id(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha256(":".join(parts).encode()).hexdigest()[: 35 - len(prefix)]


def _utc(moment: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(int(moment), datetime.UTC)


@dataclass
class Book:
    """The bank on its engine; writes are serialised (one SQLite file, the HTTP threads and the worker)."""

    engine: Engine
    collection_iban: str
    settlement_delay_seconds: float
    clock: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self) -> None:
        """Create the tables and the test and collection accounts if they are not there yet."""
        metadata.create_all(self.engine)
        seeded = [(account.iban, account.name, account.balance, account.state) for account in TEST_ACCOUNTS]
        seeded.append((self.collection_iban, "TPWallet collection", 0, AccountState.OPEN))
        with self.engine.begin() as connection:
            held = set(connection.execute(select(accounts.c.iban)).scalars())
            for iban, name, balance, state in seeded:
                if iban not in held:
                    row = {
                        "iban": iban,
                        "name": name,
                        "currency": CURRENCY,
                        "balance": balance,
                        "state": state,
                    }
                    connection.execute(insert(accounts).values(row))

    def submit(self, body: bytes) -> Answer:
        """The pain.002 answering a pain.001 (and its HTTP status)."""
        now = self.clock()
        try:
            transfer = pain001.parse(body)
        except InvalidMessage:
            report = StatusReport(
                _id("RJ", str(now), hashlib.sha256(body).hexdigest()),
                _utc(now),
                NOT_PROVIDED,
                TransferStatus.REJECTED,
                Reason.INVALID_FILE_FORMAT,
            )
            return Answer(400, pain002.build(report))
        digest = _digest(transfer)
        with self._lock, self.engine.begin() as connection:
            seen = connection.execute(
                select(transfers.c.digest, transfers.c.answer).where(
                    transfers.c.message_id == transfer.message_id
                )
            ).one_or_none()
            if seen is not None:
                if seen.digest == digest:
                    return Answer(200, seen.answer)
                report = StatusReport(
                    _id("DP", transfer.message_id, digest),
                    _utc(now),
                    transfer.message_id,
                    TransferStatus.REJECTED,
                    Reason.DUPLICATION,
                )
                return Answer(409, pain002.build(report))
            reason = self._refusal(connection, transfer)
            status = TransferStatus.ACCEPTED_TECHNICAL if reason is None else TransferStatus.REJECTED
            answer = pain002.build(self._report(transfer.message_id, status, reason, now, transfer=transfer))
            connection.execute(
                insert(transfers).values(
                    message_id=transfer.message_id,
                    digest=digest,
                    end_to_end_id=transfer.end_to_end_id,
                    remittance=transfer.remittance,
                    debtor_iban=transfer.debtor.iban,
                    creditor_iban=transfer.creditor.iban,
                    amount=transfer.amount,
                    currency=transfer.currency,
                    status=ACCEPTED if reason is None else REJECTED,
                    reason=reason,
                    answer=answer,
                    settle_at=now + self.settlement_delay_seconds,
                )
            )
        return Answer(200, answer)

    def _refusal(self, connection: Connection, transfer: CreditTransfer) -> str | None:
        if transfer.currency != CURRENCY:
            return CURRENCY_NOT_ALLOWED
        for iban in (transfer.debtor.iban, transfer.creditor.iban):
            state = connection.execute(
                select(accounts.c.state).where(accounts.c.iban == iban)
            ).scalar_one_or_none()
            if state is None:
                return Reason.INCORRECT_ACCOUNT_NUMBER
            if state == AccountState.CLOSED:
                return Reason.CLOSED_ACCOUNT_NUMBER
        return None

    def _report(
        self,
        message_id: str,
        status: TransferStatus,
        reason: str | None,
        now: float,
        *,
        transfer: CreditTransfer | None = None,
        row: Any = None,
    ) -> StatusReport:
        source = transfer if transfer is not None else row
        return StatusReport(
            message_id=_id("ST", message_id, status, str(reason)),
            created_at=_utc(now),
            original_message_id=message_id,
            status=status,
            reason=reason,
            end_to_end_id=source.end_to_end_id,
            remittance=source.remittance,
            amount=source.amount,
            currency=source.currency,
        )

    def settle_due(self) -> int:
        """Execute every accepted transfer whose settlement time has passed; how many were."""
        now = self.clock()
        with self.engine.connect() as connection:
            due = list(
                connection.execute(
                    select(transfers.c.message_id)
                    .where(transfers.c.status == ACCEPTED, transfers.c.settle_at <= now)
                    .order_by(transfers.c.settle_at)
                ).scalars()
            )
        for message_id in due:
            with self._lock, self.engine.begin() as connection:
                self._settle(connection, message_id, now)
        return len(due)

    def _settle(self, connection: Connection, message_id: str, now: float) -> None:
        row = connection.execute(select(transfers).where(transfers.c.message_id == message_id)).one()
        if row.status != ACCEPTED:
            return
        balance = connection.execute(
            select(accounts.c.balance).where(accounts.c.iban == row.debtor_iban)
        ).scalar_one()
        if balance < row.amount:
            self._finish(connection, row, REJECTED, Reason.INSUFFICIENT_FUNDS)
            self._queue(
                connection,
                f"{message_id}:pain.002",
                self._status_webhook(row, Reason.INSUFFICIENT_FUNDS, now),
                now,
            )
            return
        parties = select(accounts.c.state).where(accounts.c.iban.in_([row.debtor_iban, row.creditor_iban]))
        states = set(connection.execute(parties).scalars())
        returned = AccountState.RETURNING in states
        booked_on = _utc(now).date()
        legs: list[tuple[str, bool, str | None]] = [
            (row.debtor_iban, False, None),
            (row.creditor_iban, True, None),
        ]
        if returned:
            legs += [
                (row.creditor_iban, False, Reason.BLOCKED_ACCOUNT),
                (row.debtor_iban, True, Reason.BLOCKED_ACCOUNT),
            ]
        booked: dict[str, list[Entry]] = {}
        for position, (iban, credit, reason) in enumerate(legs):
            entry = Entry(
                reference=_id("BK", message_id, str(position)),
                credit=credit,
                amount=row.amount,
                currency=row.currency,
                booked_on=booked_on,
                end_to_end_id=row.end_to_end_id,
                remittance=row.remittance,
                return_reason=reason,
            )
            self._book(connection, iban, message_id, entry, position)
            booked.setdefault(iban, []).append(entry)
        self._finish(connection, row, RETURNED if returned else SETTLED, None)
        self._queue(connection, f"{message_id}:pain.002", self._status_webhook(row, None, now), now)
        collection = booked.get(self.collection_iban)
        if collection:
            report = Report(_id("NT", message_id), _utc(now), self.collection_iban, tuple(collection))
            self._queue(connection, f"{message_id}:camt.054", camt.build_notification(report), now)

    def _status_webhook(self, row: Any, reason: str | None, now: float) -> bytes:
        status = TransferStatus.REJECTED if reason else TransferStatus.ACCEPTED_SETTLEMENT_COMPLETED
        return pain002.build(self._report(row.message_id, status, reason, now, row=row))

    def _book(self, connection: Connection, iban: str, message_id: str, entry: Entry, position: int) -> None:
        signed = entry.amount if entry.credit else -entry.amount
        connection.execute(
            update(accounts).where(accounts.c.iban == iban).values(balance=accounts.c.balance + signed)
        )
        connection.execute(
            insert(entries).values(
                reference=entry.reference,
                iban=iban,
                message_id=message_id,
                credit=entry.credit,
                amount=entry.amount,
                currency=entry.currency,
                booked_on=entry.booked_on.isoformat(),
                end_to_end_id=entry.end_to_end_id,
                remittance=entry.remittance,
                return_reason=entry.return_reason,
                position=position,
            )
        )

    def _finish(self, connection: Connection, row: Any, status: str, reason: str | None) -> None:
        connection.execute(
            update(transfers)
            .where(transfers.c.message_id == row.message_id)
            .values(status=status, reason=reason)
        )

    def _queue(self, connection: Connection, webhook_id: str, body: bytes, now: float) -> None:
        sequence = (
            connection.execute(select(func.coalesce(func.max(webhooks.c.sequence), 0))).scalar_one() + 1
        )
        connection.execute(
            insert(webhooks).values(
                id=webhook_id, sequence=sequence, body=body, attempts=0, next_attempt_at=now
            )
        )

    def statement(self, iban: str, day: datetime.date) -> bytes | None:
        """The account's camt.053 for `day` (UTC); None for an account this bank does not hold."""
        with self.engine.connect() as connection:
            account = connection.execute(select(accounts).where(accounts.c.iban == iban)).one_or_none()
            if account is None:
                return None
            rows = connection.execute(
                select(entries)
                .where(entries.c.iban == iban, entries.c.booked_on >= day.isoformat())
                .order_by(entries.c.booked_on, entries.c.message_id, entries.c.position)
            ).all()
        signed = [(row, row.amount if row.credit else -row.amount) for row in rows]
        opening = account.balance - sum(amount for _, amount in signed)
        on_day = [(row, amount) for row, amount in signed if row.booked_on == day.isoformat()]
        report = Report(
            message_id=_id("SM", iban, day.isoformat(), str(len(on_day))),
            created_at=_utc(self.clock()),
            iban=iban,
            entries=tuple(
                Entry(
                    reference=row.reference,
                    credit=row.credit,
                    amount=row.amount,
                    currency=row.currency,
                    booked_on=day,
                    end_to_end_id=row.end_to_end_id,
                    remittance=row.remittance,
                    return_reason=row.return_reason,
                )
                for row, _ in on_day
            ),
            opening_balance=opening,
            closing_balance=opening + sum(amount for _, amount in on_day),
            day=day,
        )
        return camt.build_statement(report, account.currency)
