"""`python -m payments.sandbox.bank`: the sandbox bank as its own process (settings: `TPW_SANDBOX_BANK_*`).

It opens its books (creating the test accounts on first start), starts the worker thread that settles due
transfers and sends webhooks, then serves HTTP. Once listening it prints `sandbox bank ready on
http://HOST:PORT` (the port actually bound, for `port=0`), the line the devnet and the tests wait for.
Everything lives in its SQLite file, so a bank killed with kill -9 resumes where it was: transfers accepted
before settle after the restart, and undelivered webhooks are sent again as they were.
"""

import logging
import socket
import sys
import threading

import httpx
import uvicorn
from sqlalchemy import create_engine, event

from payments.sandbox.bank.app import create_app
from payments.sandbox.bank.book import Book
from payments.sandbox.bank.delivery import WebhookSender
from payments.sandbox.bank.settings import BankSettings

READY: str = "sandbox bank ready on"
log = logging.getLogger("sandbox.bank")


def _run_worker(book: Book, sender: WebhookSender | None, interval: float, stop: threading.Event) -> None:
    """Settle and send until stopped; an error in one round is logged and the next round tries again."""
    while not stop.wait(interval):
        try:
            book.settle_due()
            if sender is not None:
                sender.deliver_due()
        except Exception:  # a worker round must not end the bank; the next one retries
            log.exception("bank worker round failed")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = BankSettings()
    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{settings.database_path}", connect_args={"timeout": 30})
    event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA journal_mode=WAL"))
    book = Book(engine, settings.collection_iban, settings.settlement_delay_seconds)
    book.open()
    secret = settings.webhook_secret()
    sender = None
    if settings.webhook_url is not None and secret is not None:
        http = httpx.Client(timeout=settings.webhook_timeout_seconds)
        sender = WebhookSender(engine, settings.webhook_url, secret, http, settings.max_retry_seconds)
    stop = threading.Event()
    worker = threading.Thread(
        target=_run_worker, args=(book, sender, settings.poll_interval_seconds, stop), daemon=True
    )
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((settings.host, settings.port))
    # Listening before saying so: a client that connects between the word and uvicorn's start waits in
    # the backlog instead of being refused (a restarted bank under load was refused for a moment).
    listener.listen(socket.SOMAXCONN)
    host, port = listener.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(create_app(book), log_level="warning", access_log=False))
    worker.start()
    print(f"{READY} http://{host}:{port}", flush=True)
    try:
        server.run(sockets=[listener])
    finally:
        stop.set()
        worker.join(timeout=5)
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
