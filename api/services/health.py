"""Health checks: the database answers `SELECT 1` and each chain's node answers `eth_chainId`.

A check never raises: it reports `fail` with a short reason (the exception's class, never its message, which
may hold a URL with a key or a password), so one report names every failing dependency at once.
"""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.errors import ChainUnavailable
from api.schemas import Check
from api.services.rpc import NETWORKS, ChainClients
from api.settings import Network


def check_database(session: Session) -> Check:
    """The database accepts a connection and runs a query."""
    try:
        session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError as error:
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
    """Every check, by name: `database`, `l1_rpc`, `l2_rpc`."""
    checks = {"database": check_database(session)}
    checks.update({f"{network}_rpc": check_chain(chains, network) for network in NETWORKS})
    return checks
