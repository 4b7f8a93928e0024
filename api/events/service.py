"""Decoded events of a transaction: read the receipt from the network's node, decode the logs emitted by the
contracts in our deployments registry, and keep the result once the block is final.

A final receipt is served from the cache without decoding again, once the node confirms that its block is
still the chain's block at that height: a devnet restarted with the same chain id, or a reorg deeper than the
finality depth, makes the entry stale, and it is dropped and read afresh. A receipt that is not final yet is
never stored: a reorg could still replace it. Until a network has a deployments registry nothing of ours can
be decoded there, and such answers are not stored either, so a deployment made later is seen at once. A
registry written for another chain id is refused rather than used to name strangers' contracts. The
registry also records contracts built elsewhere (the devnet's Uniswap V2 exchange, from npm artifacts:
`chain.liquidity`); they are not in our build manifest, so their logs are left out like a stranger's.
"""

from dataclasses import dataclass
from typing import Final

from hexbytes import HexBytes
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from web3 import Web3
from web3.exceptions import BlockNotFound
from web3.exceptions import TransactionNotFound as Web3TransactionNotFound
from web3.types import TxReceipt

from api.errors import TransactionNotFound
from api.events.schemas import ChainEventOut, TransactionEvents
from api.models import ChainEvent, ChainReceipt
from api.rpc import ChainClients, deployments, rpc_failures_as_unavailable
from api.settings import ApiSettings, Network
from chain.artifacts import decode_receipt_events, load_manifest
from chain.client import chain_id

TX_HASH_PATTERN = r"^0x[0-9a-fA-F]{64}$"


@dataclass(frozen=True)
class DeployedContracts:
    """The registry's contracts by checksummed address: their registry names and their contract types."""

    names: dict[str, str]
    types: dict[str, str]


def deployed_contracts(
    settings: ApiSettings, network: Network, node_chain_id: int
) -> DeployedContracts | None:
    """`network`'s registry: None while there is none, `RegistryMismatch` if it is another chain's."""
    registry = deployments(settings, network, node_chain_id)
    if registry is None:
        return None
    ours = load_manifest()
    entries = [entry for entry in map(registry.get, registry.names()) if entry.contract_type in ours]
    return DeployedContracts(
        names={entry.address: entry.name for entry in entries},
        types={entry.address: entry.contract_type for entry in entries},
    )


def _decode(w3: Web3, receipt: TxReceipt, contracts: DeployedContracts) -> list[ChainEventOut]:
    return [
        ChainEventOut(
            log_index=event.log_index,
            contract=contracts.names[event.address],
            contract_type=event.contract,
            address=event.address,
            event=event.event,
            args=dict(event.args),
        )
        for event in decode_receipt_events(w3, receipt, contracts.types)
    ]


EVENT_COLUMNS: Final = {
    "log_index": "log_index",
    "contract": "contract_name",
    "contract_type": "contract_type",
    "address": "contract_address",
    "event": "event_name",
    "args": "args",
}
"""Each field of an event's answer, and the `ChainEvent` column that keeps it."""
RECEIPT_COLUMNS: Final = ("chain_id", "tx_hash", "block_number", "block_hash", "status")
"""The fields of an answer that `ChainReceipt` keeps under the same names."""


def _from_cache(receipt: ChainReceipt, network: Network) -> TransactionEvents:
    return TransactionEvents(
        network=network,
        final=True,
        events=[
            ChainEventOut(**{field: getattr(event, column) for field, column in EVENT_COLUMNS.items()})
            for event in receipt.events
        ],
        **{column: getattr(receipt, column) for column in RECEIPT_COLUMNS},
    )


def _still_canonical(w3: Web3, cached: ChainReceipt) -> bool:
    """The node's block at the cached receipt's height is the block the receipt was read from."""
    try:
        block = w3.eth.get_block(cached.block_number)
    except BlockNotFound:  # the chain is shorter than it was: another chain, or a restarted devnet
        return False
    return "0x" + bytes(block["hash"]).hex() == cached.block_hash


def _store(session: Session, found: TransactionEvents) -> None:
    """Keep a final answer; a concurrent request that stored it first leaves the same rows, so ignore it."""
    events = [
        ChainEvent(**{column: getattr(event, field) for field, column in EVENT_COLUMNS.items()})
        for event in found.events
    ]
    session.add(ChainReceipt(events=events, **{column: getattr(found, column) for column in RECEIPT_COLUMNS}))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()


def transaction_events(
    session: Session, settings: ApiSettings, chains: ChainClients, network: Network, tx_hash: str
) -> TransactionEvents:
    """The events our contracts emitted in `tx_hash` on `network`; `tx_hash` matches TX_HASH_PATTERN."""
    tx_hash = tx_hash.lower()
    w3 = chains.web3(network)
    with rpc_failures_as_unavailable(network):
        node_chain_id = chain_id(w3)
        cached = session.get(ChainReceipt, (node_chain_id, tx_hash))
        if cached is not None:
            if _still_canonical(w3, cached):
                return _from_cache(cached, network)
            session.delete(cached)
            session.commit()
        try:
            receipt = w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        except Web3TransactionNotFound:
            raise TransactionNotFound(f"{network} has no mined transaction {tx_hash}") from None
        head = w3.eth.block_number
    contracts = deployed_contracts(settings, network, node_chain_id)
    found = TransactionEvents(
        network=network,
        chain_id=node_chain_id,
        tx_hash=tx_hash,
        block_number=receipt["blockNumber"],
        block_hash="0x" + bytes(receipt["blockHash"]).hex(),
        status=receipt["status"],
        final=head - receipt["blockNumber"] + 1 >= settings.finality_blocks,
        events=_decode(w3, receipt, contracts) if contracts is not None else [],
    )
    if found.final and contracts is not None:
        _store(session, found)
    return found
