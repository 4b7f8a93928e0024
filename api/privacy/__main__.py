"""The privacy command line: the retention job.

`python -m api.privacy retention` deletes (or clears) what is past its retention period
(`risk.privacy.retention`, periods from `risk.privacy.registry`) in the API's database (`TPW_DATABASE_URL`,
or `--database-url`) and prints what each step removed. Idempotent: run it as often as you like, e.g. daily
from cron, or let the API run it (`TPW_PRIVACY_RETENTION_INTERVAL_SECONDS`).
"""

import argparse
import sys
import time

from sqlalchemy import create_engine

from api.settings import ApiSettings, get_settings
from risk.privacy import retention


def main(argv: list[str] | None = None, settings: ApiSettings | None = None) -> int:
    """Run the command; `settings` default to the environment's, as the API's."""
    parser = argparse.ArgumentParser(prog="python -m api.privacy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("retention", help="delete what is past its retention period")
    run.add_argument(
        "--database-url", help="SQLAlchemy URL of the API's database (default: TPW_DATABASE_URL)"
    )
    run.add_argument("--now", type=int, help="the time to apply the periods at, unix seconds (default: now)")
    options = parser.parse_args(argv)
    settings = settings if settings is not None else get_settings()
    engine = create_engine(options.database_url or settings.database_url)
    try:
        done = retention.run(engine, options.now if options.now is not None else int(time.time()))
    finally:
        engine.dispose()
    for step, count in done.items():
        print(f"{step}\t{count}")
    print(f"retention: {sum(done.values())} row(s) removed or cleared", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
