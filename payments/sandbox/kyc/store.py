"""The provider's books, in its own SQLite file: each check as submitted (its result decided at submission
from the test data, revealed when its processing delay is over) and the webhook outbox.

A check is keyed by the platform's `reference` (its own check id): submitting the same reference again
answers the check already made, so a retried submission never opens a second check. A check completes in
the transaction that queues its webhook, so a provider killed at any moment comes back with each check
either still processing or completed and notified, never half of it. Only the outcome is kept, never the
name, date of birth or document number: a sandbox keeps no more personal data than it needs.
"""

import datetime
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    Column,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
    update,
)

from payments.sandbox.bank.schema import webhook_outbox
from payments.sandbox.kyc.outcomes import Applicant, decide

metadata: Final = MetaData()

checks: Final = Table(
    "checks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("reference", String(64), nullable=False, unique=True),
    Column("level", String(8), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # processing | completed
    Column("result", String(16), nullable=False),
    Column("reasons", String(256), nullable=False),
    Column("complete_at", Float, nullable=False),
    Column("created", Float, nullable=False),
)

webhooks: Final = webhook_outbox(metadata)


def open_database(path: Path) -> Engine:
    """The database at `path`, created with its tables; WAL, writers waiting for each other."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
    event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA journal_mode=WAL"))
    metadata.create_all(engine)
    return engine


@dataclass(frozen=True, slots=True)
class CheckView:
    id: str
    reference: str
    level: str
    status: str
    result: str | None
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reference": self.reference,
            "level": self.level,
            "status": self.status,
            "result": self.result,
            "reasons": list(self.reasons),
        }


@dataclass
class Store:
    engine: Engine
    processing_delay_seconds: float
    clock: Callable[[], float] = time.time

    def submit(self, reference: str, applicant: Applicant) -> tuple[CheckView, bool]:
        """The check for `reference`, and whether it was created now (False: a retried submission)."""
        now = self.clock()
        result, reasons = decide(applicant, datetime.datetime.fromtimestamp(now, datetime.UTC).date())
        with self.engine.begin() as connection:
            found = connection.execute(select(checks).where(checks.c.reference == reference)).first()
            if found is not None:
                return _view(found._mapping), False
            check_id = f"kyc_sbx_{secrets.token_hex(12)}"
            connection.execute(
                insert(checks).values(
                    id=check_id,
                    reference=reference,
                    level=applicant.level,
                    status="processing",
                    result=str(result),
                    reasons=",".join(reasons),
                    complete_at=now + self.processing_delay_seconds,
                    created=now,
                )
            )
            row = connection.execute(select(checks).where(checks.c.id == check_id)).one()
        return _view(row._mapping), True

    def get(self, check_id: str) -> CheckView | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(checks).where(checks.c.id == check_id)).first()
        return None if row is None else _view(row._mapping)

    def complete_due(self) -> int:
        """Complete every check whose processing delay is over, each with its webhook; how many."""
        now = self.clock()
        with self.engine.connect() as connection:
            due = (
                connection.execute(
                    select(checks.c.id)
                    .where(checks.c.status == "processing", checks.c.complete_at <= now)
                    .order_by(checks.c.created)
                )
                .scalars()
                .all()
            )
        for check_id in due:
            with self.engine.begin() as connection:
                changed = connection.execute(
                    update(checks)
                    .where(checks.c.id == check_id, checks.c.status == "processing")
                    .values(status="completed")
                ).rowcount
                if changed != 1:
                    continue
                row = connection.execute(select(checks).where(checks.c.id == check_id)).one()
                sequence = connection.execute(
                    select(webhooks.c.sequence).order_by(webhooks.c.sequence.desc())
                ).first()
                event_id = f"evt_{secrets.token_hex(12)}"
                body = {
                    "id": event_id,
                    "type": "check.completed",
                    "created": int(now),
                    "data": _view(row._mapping).to_json(),
                }
                connection.execute(
                    insert(webhooks).values(
                        id=event_id,
                        sequence=1 if sequence is None else sequence[0] + 1,
                        body=json.dumps(body, separators=(",", ":")).encode(),
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
        return len(due)


def _view(row: Any) -> CheckView:
    completed = row["status"] == "completed"
    return CheckView(
        id=row["id"],
        reference=row["reference"],
        level=row["level"],
        status=row["status"],
        result=row["result"] if completed else None,
        reasons=tuple(reason for reason in row["reasons"].split(",") if reason) if completed else (),
    )
