"""`python -m payments.sandbox.bank`: the sandbox bank as its own process (settings: `TPW_SANDBOX_BANK_*`).

It opens its books (creating the test accounts on first start), starts the worker thread that settles due
transfers and sends webhooks, then serves HTTP. Once listening it prints `sandbox bank ready on
http://HOST:PORT` (the port actually bound, for `port=0`), the line the devnet and the tests wait for.
Everything lives in its SQLite file, so a bank killed with kill -9 resumes where it was: transfers accepted
before settle after the restart, and undelivered webhooks are sent again as they were.
"""

import logging
import sys

from sqlalchemy import create_engine, event

from payments.sandbox.bank.app import create_app
from payments.sandbox.bank.book import Book
from payments.sandbox.bank.schema import webhooks
from payments.sandbox.bank.settings import BankSettings
from payments.sandbox.delivery import WebhookSender
from payments.sandbox.serving import serve_with_worker

READY: str = "sandbox bank ready on"
log = logging.getLogger("sandbox.bank")


def _round(book: Book, sender: WebhookSender | None) -> None:
    """Settle what is due, then send what is queued."""
    book.settle_due()
    if sender is not None:
        sender.deliver_due()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = BankSettings()
    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{settings.database_path}", connect_args={"timeout": 30})
    event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA journal_mode=WAL"))
    book = Book(engine, settings.collection_iban, settings.settlement_delay_seconds)
    book.open()
    sender = settings.webhook_sender(engine, webhooks, "application/xml")
    try:
        serve_with_worker(
            create_app(book),
            settings.host,
            settings.port,
            READY,
            lambda: _round(book, sender),
            settings.poll_interval_seconds,
            log,
        )
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
