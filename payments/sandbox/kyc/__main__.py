"""`python -m payments.sandbox.kyc`: the sandbox KYC provider as its own process (`TPW_SANDBOX_KYC_*`).

A worker thread completes checks whose processing delay is over and sends their webhooks (the bank's
sender, `payments.sandbox.bank.delivery`, on this provider's outbox: signed afresh on every attempt, retried
with backoff until a 2xx); then HTTP is served. Once listening it prints `sandbox kyc ready on
http://HOST:PORT` (the port bound, for `port=0`), the line the devnet and the tests wait for.
"""

import logging
import socket
import sys
import threading

import httpx
import uvicorn

from payments.sandbox.bank.delivery import WebhookSender
from payments.sandbox.kyc.app import create_app
from payments.sandbox.kyc.settings import KycProviderSettings
from payments.sandbox.kyc.store import Store, open_database, webhooks

READY: str = "sandbox kyc ready on"
log = logging.getLogger("sandbox.kyc")


def _run_worker(store: Store, sender: WebhookSender | None, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            store.complete_due()
            if sender is not None:
                sender.deliver_due()
        except Exception:  # a round must not end the provider; the next one retries
            log.exception("kyc worker round failed")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = KycProviderSettings()
    engine = open_database(settings.database_path)
    store = Store(engine, settings.processing_delay_seconds)
    secret = settings.webhook_secret()
    sender = None
    if settings.webhook_url is not None and secret is not None:
        http = httpx.Client(timeout=settings.webhook_timeout_seconds)
        sender = WebhookSender(
            engine,
            settings.webhook_url,
            secret,
            http,
            settings.max_retry_seconds,
            table=webhooks,
            content_type="application/json",
        )
    stop = threading.Event()
    worker = threading.Thread(
        target=_run_worker, args=(store, sender, settings.poll_interval_seconds, stop), daemon=True
    )
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((settings.host, settings.port))
    host, port = listener.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(create_app(store), log_level="warning", access_log=False))
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
