"""`python -m payments.sandbox.kyc`: the sandbox KYC provider as its own process (`TPW_SANDBOX_KYC_*`).

A worker thread completes checks whose processing delay is over and sends their webhooks (the bank's
sender, `payments.sandbox.delivery`, on this provider's outbox: signed afresh on every attempt, retried
with backoff until a 2xx); then HTTP is served (`payments.sandbox.serving`). Once listening it prints
`sandbox kyc ready on http://HOST:PORT` (the port bound, for `port=0`), the line the devnet and the tests
wait for.
"""

import logging
import sys

from payments.sandbox.delivery import WebhookSender
from payments.sandbox.kyc.app import create_app
from payments.sandbox.kyc.settings import KycProviderSettings
from payments.sandbox.kyc.store import Store, open_database, webhooks
from payments.sandbox.serving import serve_with_worker

READY: str = "sandbox kyc ready on"
log = logging.getLogger("sandbox.kyc")


def _round(store: Store, sender: WebhookSender | None) -> None:
    """Complete the checks whose delay is over, then send what is queued."""
    store.complete_due()
    if sender is not None:
        sender.deliver_due()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = KycProviderSettings()
    engine = open_database(settings.database_path)
    store = Store(engine, settings.processing_delay_seconds)
    sender = settings.webhook_sender(engine, webhooks, "application/json")
    try:
        serve_with_worker(
            create_app(store),
            settings.host,
            settings.port,
            READY,
            lambda: _round(store, sender),
            settings.poll_interval_seconds,
            log,
        )
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
