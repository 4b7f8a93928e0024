"""FX's command line, for cron where no API process does it.

`python -m payments.fx remove-expired-quotes --database-url URL [--older-than-seconds N]` deletes the
quotes that expired more than N seconds ago (default a day) without being converted, and prints how many;
converted quotes stay with their conversions. The API does the same every
`TPW_FX_QUOTE_CLEANUP_INTERVAL_SECONDS`; both may run at once.
"""

import argparse
import sys

from sqlalchemy import create_engine

from ledger.ids import NS_PER_SECOND, now_ns
from payments.fx.quotes import RETENTION_SECONDS, remove_expired


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m payments.fx", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    remove = commands.add_parser("remove-expired-quotes", help="delete quotes that expired unused")
    remove.add_argument("--database-url", required=True, help="SQLAlchemy URL of the API's database")
    remove.add_argument(
        "--older-than-seconds",
        type=int,
        default=RETENTION_SECONDS,
        help="how long an expired quote is kept (default: a day)",
    )
    options = parser.parse_args(argv)
    if options.older_than_seconds < 0:
        parser.error("--older-than-seconds must be >= 0")
    engine = create_engine(options.database_url)
    try:
        with engine.begin() as connection:
            removed = remove_expired(connection, now_ns() - options.older_than_seconds * NS_PER_SECOND)
    finally:
        engine.dispose()
    print(f"removed {removed} expired quote(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
