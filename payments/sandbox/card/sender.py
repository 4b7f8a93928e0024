"""The processor's webhook sender: a thread POSTing each queued event, signed, until the platform answers 2xx.

Events are rows of `outbox` committed with the operation that made them, so an event is sent even if the
processor was killed right after it: the sender picks up whatever is undelivered when it starts. Each
attempt is signed afresh (`TPW-Signature`, `payments.webhooks.signing`) at its own time, so a retry is never
taken for a replay; failures back off exponentially up to `MAX_BACKOFF_SECONDS`.
"""

import logging
import threading
import time
from typing import Final

import httpx
from sqlalchemy import Engine, select, update

from payments.sandbox.card.schema import outbox
from payments.webhooks.signing import HEADER, signature_header

log = logging.getLogger("sandbox.card.webhooks")

FIRST_BACKOFF_SECONDS: Final = 1.0
"""At least a second, so each attempt's signature carries another timestamp: a retry is never a replay."""
MAX_BACKOFF_SECONDS: Final = 30.0
BATCH: Final = 32
IDLE_WAIT_SECONDS: Final = 1.0


class WebhookSender:
    def __init__(self, engine: Engine, url: str | None, secret: str, timeout: float) -> None:
        self._engine = engine
        self._url = url
        self._secret = secret
        self._client = httpx.Client(timeout=timeout)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="card-webhooks", daemon=True)

    def start(self) -> None:
        if self._url is None:
            log.warning("no webhook URL: events stay in the outbox")
            return
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                wait = self._deliver_due()
            except Exception:  # a broken database must not kill the thread: log, wait, retry
                log.exception("webhook sender failed")
                wait = IDLE_WAIT_SECONDS
            self._wake.wait(wait)

    def _deliver_due(self) -> float:
        """Try every due event once; the seconds until the next one is due (at most the idle wait)."""
        now = time.time()
        with self._engine.connect() as connection:
            due = connection.execute(
                select(outbox.c.id, outbox.c.event, outbox.c.body, outbox.c.attempts)
                .where(outbox.c.delivered.is_(False), outbox.c.next_attempt <= now)
                .order_by(outbox.c.id)
                .limit(BATCH)
            ).all()
            connection.rollback()
        for row in due:
            delivered = self._post(row.event, row.body)
            backoff = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**row.attempts)
            with self._engine.begin() as connection:
                connection.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id)
                    .values(
                        delivered=delivered, attempts=row.attempts + 1, next_attempt=time.time() + backoff
                    )
                )
        if len(due) == BATCH:
            return 0.0
        with self._engine.connect() as connection:
            upcoming = connection.execute(
                select(outbox.c.next_attempt)
                .where(outbox.c.delivered.is_(False))
                .order_by(outbox.c.next_attempt)
                .limit(1)
            ).scalar_one_or_none()
            connection.rollback()
        if upcoming is None:
            return IDLE_WAIT_SECONDS
        return max(0.0, min(IDLE_WAIT_SECONDS, upcoming - time.time()))

    def _post(self, event: str, body: str) -> bool:
        assert self._url is not None
        payload = body.encode()
        header = signature_header([self._secret], int(time.time()), payload)
        try:
            response = self._client.post(
                self._url, content=payload, headers={HEADER: header, "Content-Type": "application/json"}
            )
        except httpx.HTTPError as error:
            log.warning("webhook %s not delivered: %s", event, type(error).__name__)
            return False
        if response.is_success:
            log.info("webhook %s delivered", event)
            return True
        log.warning("webhook %s refused with %s", event, response.status_code)
        return False
