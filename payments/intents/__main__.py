"""The payment intents' command line, for cron where no API process does it.

`python -m payments.intents expire-uncaptured --database-url URL [--older-than-seconds N]` cancels the
authorizations left uncaptured longer than N seconds (default 7 days, Stripe's), voiding their holds on
the ledger and announcing `payment_intent.canceled` to their merchants (`intents.expire_uncaptured`); it
prints how many. The API does the same every `TPW_PAYMENT_LAPSE_INTERVAL_SECONDS`; both may run at once.
"""

import argparse
import sys

from sqlalchemy import create_engine

from ledger.ids import NS_PER_SECOND, now_ns
from payments.intents import intents
from payments.intents.context import Payments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m payments.intents", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    expire = commands.add_parser("expire-uncaptured", help="cancel authorizations left uncaptured too long")
    expire.add_argument("--database-url", required=True, help="SQLAlchemy URL of the API's database")
    expire.add_argument(
        "--older-than-seconds",
        type=int,
        default=intents.AUTHORIZATION_LAPSE_SECONDS,
        help="how long an authorization may stay uncaptured (default: 7 days)",
    )
    options = parser.parse_args(argv)
    if options.older_than_seconds < 0:
        parser.error("--older-than-seconds must be >= 0")
    engine = create_engine(options.database_url)
    try:
        before = now_ns() - options.older_than_seconds * NS_PER_SECOND
        canceled = intents.expire_uncaptured(Payments(engine, {}), None, before)
    finally:
        engine.dispose()
    print(f"canceled {len(canceled)} lapsed authorization(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
