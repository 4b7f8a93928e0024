"""Health checks: the database answers `SELECT 1` and each chain's node answers `eth_chainId`.

A check never raises: it reports `fail` with a short reason (the exception's class, never its message, which
may hold a URL with a key or a password), so one report names every failing dependency at once.

`/health` must answer while business requests saturate the API (a load balancer that sees it stall takes
the instance out exactly when it is busiest), so `HealthProbe` runs the checks on threads and database
connections of its own: never the app's worker threads, never its request pool.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.db import make_engine, make_session_factory
from api.errors import ChainUnavailable
from api.health.schemas import Check
from api.rpc import NETWORKS, ChainClients
from api.settings import Network

PROBE_CONNECTIONS: Final = 2
"""The probe's own pool: enough for two probes at once; a third waits at most `PROBE_POOL_TIMEOUT`."""
PROBE_POOL_TIMEOUT: Final = 2.0
PROBE_THREADS: Final = 2 * (1 + len(NETWORKS))
"""Two concurrent probes each run every check in parallel."""


def check_database(session: Session) -> Check:
    """The database accepts a connection and runs a query."""
    try:
        session.execute(text("SELECT 1")).scalar_one()
    except (SQLAlchemyError, TimeoutError) as error:
        return Check(status="fail", detail=f"database query failed ({type(error).__name__})")
    return Check(status="ok")


def check_chain(chains: ChainClients, network: Network) -> Check:
    """`network`'s node answers `eth_chainId` within the RPC timeout."""
    try:
        reported = chains.chain_id(network)
    except ChainUnavailable as error:
        return Check(status="fail", detail=error.detail)
    return Check(status="ok", chain_id=reported)


def run_checks(session: Session, chains: ChainClients) -> dict[str, Check]:
    """Every check, by name, one after another: `database`, `l1_rpc`, `l2_rpc`."""
    checks = {"database": check_database(session)}
    checks.update({f"{network}_rpc": check_chain(chains, network) for network in NETWORKS})
    return checks


class HealthProbe:
    """Runs the checks in parallel on its own threads and its own small connection pool."""

    def __init__(self, database_url: str) -> None:
        self._engine: Engine = make_engine(
            database_url, pool_size=PROBE_CONNECTIONS, pool_timeout=PROBE_POOL_TIMEOUT
        )
        self._sessions = make_session_factory(self._engine)
        self._threads = ThreadPoolExecutor(PROBE_THREADS, thread_name_prefix="health")

    def _database(self) -> Check:
        with self._sessions() as session:
            return check_database(session)

    async def run(self, chains: ChainClients) -> dict[str, Check]:
        """Every check, by name (`database`, `l1_rpc`, `l2_rpc`), run at once."""
        loop = asyncio.get_running_loop()
        names = ["database", *(f"{network}_rpc" for network in NETWORKS)]
        results = await asyncio.gather(
            loop.run_in_executor(self._threads, self._database),
            *(loop.run_in_executor(self._threads, check_chain, chains, network) for network in NETWORKS),
        )
        return dict(zip(names, results, strict=True))

    def close(self) -> None:
        """Stop the threads and close the connections."""
        self._threads.shutdown(wait=False, cancel_futures=True)
        self._engine.dispose()
