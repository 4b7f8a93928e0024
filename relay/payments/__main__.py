"""`python -m relay.payments`: run the payments watcher with the environment's settings until SIGTERM."""

import logging
import threading

from chain.errors import ChainError
from relay.keeper import install_stop_handlers
from relay.payments.settings import get_settings
from relay.payments.watcher import PaymentsWatcher, log


def main() -> int:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        watcher = PaymentsWatcher.from_settings(settings)
    except (ValueError, ChainError) as error:
        log.error("cannot start: %s", error)
        return 2
    stop = threading.Event()
    install_stop_handlers(stop)
    watcher.run(stop, settings.poll_interval_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
