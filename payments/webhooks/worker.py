"""The delivery worker: `python -m payments.webhooks.worker --database-url URL --key-file PATH`.

Each round claims a batch of due deliveries under a lease (`deliveries.claim`, committed before any request
is sent), POSTs each one signed with the endpoint's valid secrets (`TPW-Signature`), and records the outcome:
2xx succeeds, anything else (an error status, a 3xx, a timeout, a refused connection, a URL that now
resolves somewhere it may not go) is a failed attempt, retried after a backoff until it is dead-lettered.
Run as many workers as wanted, on one database: the leases keep each attempt to one worker, and a worker
killed mid-delivery (even with kill -9) only delays its deliveries until their leases expire. So delivery
is at least once: receivers deduplicate by the event's `id`, which every attempt of an event repeats.

The sealing key is read from `--key-file`, never from the environment (see `sealing`). `--environment dev`
lets sandbox endpoints be loopback receivers (`urls`); the default, `prod`, does not.
"""

import argparse
import http.client
import logging
import random
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from payments.webhooks import deliveries
from payments.webhooks.deliveries import Claimed, RetryPolicy
from payments.webhooks.endpoints import active_secrets
from payments.webhooks.ids import now_ms
from payments.webhooks.sealing import SealingError, SecretBox
from payments.webhooks.signing import HEADER, signature_header
from payments.webhooks.transport import post
from payments.webhooks.urls import Resolver, UnsafeUrl, check_url, resolve

log = logging.getLogger("payments.webhooks.worker")


@dataclass
class Worker:
    """Claims, sends and settles deliveries on one database."""

    sessions: sessionmaker[Session]
    box: SecretBox
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    dev: bool = False
    """Sandbox endpoints may be loopback receivers (the devnet's and the tests' environment)."""
    timeout: float = 10.0
    batch: int = 10
    rng: random.Random = field(default_factory=random.Random)
    resolver: Resolver = resolve

    def run_once(self) -> int:
        """One round: claim what is due and attempt it; how many deliveries were attempted."""
        with self.sessions() as session:
            claimed = deliveries.claim(
                session, now=now_ms(), lease_ms=int(self.policy.lease_seconds * 1000), limit=self.batch
            )
            for delivery in claimed:
                self._attempt(session, delivery)
        return len(claimed)

    def run(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        """Rounds until `stop` is set; waits `poll_seconds` after a round that found nothing due, or that
        failed on the database (it may be restarting: what was claimed comes back when its lease expires)."""
        while not stop.is_set():
            try:
                attempted = self.run_once()
            except SQLAlchemyError as error:
                log.error("database error, retrying", extra={"error": type(error).__name__})
                attempted = 0
            if attempted == 0:
                stop.wait(poll_seconds)

    def _attempt(self, session: Session, delivery: Claimed) -> None:
        if now_ms() + 2 * self.timeout * 1000 >= delivery.lease_until:  # a slow batch: leave it to a round
            deliveries.release(session, delivery)
            return
        body = delivery.body.encode()
        try:
            target = check_url(
                delivery.url, allow_loopback=self.dev and not delivery.livemode, resolver=self.resolver
            )
            secrets = active_secrets(session, self.box, delivery.endpoint_id, now_ms())
            session.rollback()
            header = signature_header(secrets, now_ms() // 1000, body)
            status = post(target, body, {HEADER: header}, self.timeout)
        except (UnsafeUrl, SealingError, OSError, http.client.HTTPException) as error:
            self._failed(session, delivery, None, f"{type(error).__name__}: {error}")
            return
        if 200 <= status < 300:
            deliveries.succeeded(session, delivery, now=now_ms(), status_code=status)
            log.info("delivered", extra={"delivery": delivery.id, "status_code": status})
        else:
            self._failed(session, delivery, status, f"HTTP {status}")

    def _failed(self, session: Session, delivery: Claimed, status_code: int | None, error: str) -> None:
        outcome = deliveries.failed(
            session,
            delivery,
            now=now_ms(),
            status_code=status_code,
            error=error,
            policy=self.policy,
            rng=self.rng,
        )
        log.warning("delivery failed", extra={"delivery": delivery.id, "outcome": outcome, "error": error})


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA journal_mode=WAL")


def make_engine(database_url: str) -> Engine:
    """An engine for the worker: SQLite waits up to 30 s for the writer lock instead of failing at once."""
    if make_url(database_url).get_backend_name() != "sqlite":
        return create_engine(database_url, pool_pre_ping=True)
    engine = create_engine(database_url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m payments.webhooks.worker", description="Deliver webhooks."
    )
    parser.add_argument("--database-url", required=True, help="SQLAlchemy URL of the API's database.")
    parser.add_argument("--key-file", type=Path, required=True, help="The sealing key file (64 hex digits).")
    parser.add_argument("--environment", choices=("dev", "prod"), default="prod")
    parser.add_argument("--batch", type=int, default=10, help="Deliveries claimed per round.")
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="Wait after an idle round.")
    parser.add_argument("--timeout", type=float, default=10.0, help="Seconds to connect and for each read.")
    parser.add_argument("--lease-seconds", type=float, default=60.0, help="Longer than --timeout allows.")
    parser.add_argument("--max-attempts", type=int, default=8)
    parser.add_argument("--base-seconds", type=float, default=30.0, help="Backoff after the first failure.")
    parser.add_argument("--cap-seconds", type=float, default=6 * 3600.0, help="Longest backoff.")
    parser.add_argument("--once", action="store_true", help="One round, then exit.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the worker until SIGTERM or SIGINT; exit status 2 on a bad key file."""
    options = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if options.lease_seconds <= 2 * options.timeout:
        print("error: --lease-seconds must exceed twice --timeout (connect, then read)", file=sys.stderr)
        return 2
    try:
        box = SecretBox.from_file(options.key_file)
    except SealingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    engine = make_engine(options.database_url)
    worker = Worker(
        sessionmaker(bind=engine),
        box,
        RetryPolicy(options.max_attempts, options.base_seconds, options.cap_seconds, options.lease_seconds),
        dev=options.environment == "dev",
        timeout=options.timeout,
        batch=options.batch,
    )
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        if options.once:
            worker.run_once()
        else:
            print("webhook worker ready", flush=True)
            worker.run(stop, options.poll_seconds)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
