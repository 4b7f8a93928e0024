"""`python -m payments.sandbox.card`: serve the sandbox card processor (settings: `TPW_SANDBOX_CARD_*`)."""

import logging

import uvicorn

from payments.sandbox.card.app import create_app
from payments.sandbox.card.settings import ProcessorSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = ProcessorSettings()
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
