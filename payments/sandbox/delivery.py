"""A counterpart's webhooks (the bank's pain.002 and camt.054, the KYC provider's results): each queued one
POSTed to the platform, signed, until it takes it.

A webhook is sent as stored (the same bytes, so the same MsgId or event id, on every attempt: a retry is the
same event, never a new one), signed afresh each time (`TPW-Signature`, `payments.webhooks.signing`; a new
timestamp, so the platform's replay store does not mistake a retry for a replay). 2xx marks it delivered;
anything else, or no answer, is retried after a backoff doubling up to `max_retry_seconds`. A counterpart
killed between the POST and the mark sends it again after its restart: delivery is at least once, and the
platform's handling of a report is idempotent.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine, Table, select, update

from payments.webhooks.signing import HEADER, signature_header

log = logging.getLogger("sandbox.delivery")
FIRST_RETRY_SECONDS = 0.5


@dataclass
class WebhookSender:
    engine: Engine
    url: str
    secret: str
    http: httpx.Client
    max_retry_seconds: float
    table: Table
    """The counterpart's outbox (columns id, sequence, body, attempts, next_attempt_at, delivered_at)."""
    content_type: str
    clock: Callable[[], float] = time.time

    def deliver_due(self) -> int:
        """Attempt every webhook due now, oldest first; how many were delivered."""
        now = self.clock()
        with self.engine.connect() as connection:
            due = connection.execute(
                select(self.table.c.id, self.table.c.body, self.table.c.attempts)
                .where(self.table.c.delivered_at.is_(None), self.table.c.next_attempt_at <= now)
                .order_by(self.table.c.sequence)
            ).all()
        delivered = 0
        for webhook in due:
            ok = self._post(webhook.id, webhook.body)
            attempts = webhook.attempts + 1
            if ok:
                values: dict[str, float | int] = {"attempts": attempts, "delivered_at": self.clock()}
                delivered += 1
            else:
                wait = min(self.max_retry_seconds, FIRST_RETRY_SECONDS * 2 ** min(attempts, 16))
                values = {"attempts": attempts, "next_attempt_at": self.clock() + wait}
            with self.engine.begin() as connection:
                connection.execute(update(self.table).where(self.table.c.id == webhook.id).values(**values))
        return delivered

    def _post(self, webhook_id: str, body: bytes) -> bool:
        headers = {
            "Content-Type": self.content_type,
            HEADER: signature_header([self.secret], int(self.clock()), body),
        }
        try:
            answer = self.http.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            log.warning("webhook %s not delivered: %s", webhook_id, type(error).__name__)
            return False
        if not answer.is_success:
            log.warning("webhook %s refused: HTTP %s", webhook_id, answer.status_code)
        return answer.is_success
