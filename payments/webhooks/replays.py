"""The replay store of inbound webhooks, in the database: what `signing.verify` accepted, until it expires.

Each accepted (scope, t, signature) is a row whose primary key makes a second insert fail, so two processes
receiving the same replayed request at once accept it once. The rows are written in a SAVEPOINT of the
caller's transaction: the caller commits them with the effects of the webhook (a webhook whose handling rolls
back may be delivered again and is then accepted again, which is what its sender's retry needs). Expired rows
are swept as new ones arrive; past `expires_at` the timestamp check refuses the pair anyway.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payments.webhooks.schema import replays


@dataclass(frozen=True)
class SqlReplayStore:
    """A `signing.ReplayStore` on `session`; `scope` separates senders (e.g. "rail:bank")."""

    session: Session
    scope: str

    def first_use(self, timestamp: int, signatures: Sequence[str], expires_at: int, now: int) -> bool:
        """Record the pairs in a savepoint; False (nothing recorded) if one is already there."""
        self.session.execute(delete(replays).where(replays.c.expires_at < now))
        rows = [
            {"scope": self.scope, "timestamp": timestamp, "signature": signature, "expires_at": expires_at}
            for signature in sorted(set(signatures))
        ]
        try:
            with self.session.begin_nested():
                self.session.execute(insert(replays), rows)
        except IntegrityError:
            return False
        return True
