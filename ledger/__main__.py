"""The ledger's command line.

`python -m ledger check --database-url URL` audits a ledger database: prints each finding and exits 1 when
there is any, so a cron job or CI step fails loudly; prints a one-line summary and exits 0 when the stored
balances agree with the journal. `python -m ledger expire --database-url URL` releases the pending transfers
whose timeout has passed (the API does it every second by itself; this is for a ledger used without it).
"""

import argparse
import sys

from sqlalchemy import create_engine, func, select

from ledger.check import verify
from ledger.schema import accounts, transfers
from ledger.transfers import expire_pending


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="recompute every balance from the transfers and compare")
    check.add_argument("--database-url", required=True, help="SQLAlchemy URL of the ledger's database")
    expire = commands.add_parser("expire", help="release pending transfers whose timeout has passed")
    expire.add_argument("--database-url", required=True, help="SQLAlchemy URL of the ledger's database")
    options = parser.parse_args(argv)
    engine = create_engine(options.database_url)
    if options.command == "expire":
        try:
            print(f"expired {len(expire_pending(engine))} pending transfer(s)")
        finally:
            engine.dispose()
        return 0
    try:
        findings = verify(engine)
        with engine.connect() as connection:
            account_count = connection.execute(select(func.count()).select_from(accounts)).scalar_one()
            transfer_count = connection.execute(select(func.count()).select_from(transfers)).scalar_one()
    finally:
        engine.dispose()
    for finding in findings:
        print(f"{finding.kind}\t{finding.subject}\t{finding.detail}")
    if findings:
        print(f"{len(findings)} finding(s)", file=sys.stderr)
        return 1
    print(f"ok: {account_count} accounts and {transfer_count} transfers agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
