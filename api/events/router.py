"""`/v1/chains/{network}/...`: what happened on a chain, decoded with our deployments registry."""

from typing import Annotated

from fastapi import APIRouter, Path

from api.chain_routes import NETWORK_DESCRIPTION
from api.deps import ChainsDep, SessionDep, SettingsDep
from api.errors import problem_doc
from api.events.schemas import TransactionEvents
from api.events.service import TX_HASH_PATTERN, transaction_events
from api.rpc import parse_network

router = APIRouter(prefix="/v1/chains", tags=["chains"])

NetworkPath = Annotated[str, Path(description=NETWORK_DESCRIPTION)]
TxHashPath = Annotated[
    str, Path(pattern=TX_HASH_PATTERN, description="The transaction hash: 0x and 64 hex digits.")
]


@router.get(
    "/{network}/transactions/{tx_hash}/events",
    summary="Decoded events of our contracts in a transaction",
    responses={
        404: problem_doc("Unknown network, or no mined transaction with that hash."),
        422: problem_doc("The hash is malformed; `errors` names the field."),
        503: problem_doc("The network's node did not answer."),
    },
)
def get_transaction_events(
    network: NetworkPath, tx_hash: TxHashPath, session: SessionDep, settings: SettingsDep, chains: ChainsDep
) -> TransactionEvents:
    """Logs of contracts absent from the deployments registry are left out; a reverted tx has none."""
    return transaction_events(session, settings, chains, parse_network(network), tx_hash)
