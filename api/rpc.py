"""The API's way to the chains: which node serves a network, and what a failed call means to a client.

Networks are named by role in the API, `l1` and `l2`; the settings bind each role to an RPC URL and to the
Ape network whose deployments registry lists our contracts there. A node that cannot be reached, times out or
answers garbage becomes `ChainUnavailable` (503); the URL is never put in the message (hosted RPC URLs carry
API keys). Routes get a `ChainClients` through a dependency, so a test can hand them an in-process chain.

Our contracts on a network are the ones its deployments registry names; a registry written for another chain
id than the node serves is refused (`RegistryMismatch`) rather than used to name a stranger's contract.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, get_args

from web3 import Web3
from web3.exceptions import TransactionNotFound, Web3Exception
from web3.types import BlockData

from api.errors import ApiError, ChainUnavailable, RegistryMismatch, UnknownNetwork
from api.settings import ApiSettings, Network
from chain.client import chain_id, make_web3
from chain.deployments import Deployments
from chain.errors import DeploymentsFileMissing, RpcError

NETWORKS: tuple[Network, ...] = get_args(Network)


def parse_network(name: str) -> Network:
    """`name` as a network the API serves, or `UnknownNetwork` (404)."""
    for network in NETWORKS:
        if name == network:
            return network
    raise UnknownNetwork(f"no network {name!r}: use one of {', '.join(NETWORKS)}")


@contextmanager
def rpc_failures_as_unavailable(network: Network) -> Iterator[None]:
    """Turn transport and node failures inside the block into `ChainUnavailable` naming `network`.

    `TransactionNotFound` is an answer, not a failure, and passes through for the caller to map.
    """
    try:
        yield
    except TransactionNotFound:
        raise
    except (OSError, RpcError, Web3Exception) as error:
        raise ChainUnavailable(
            f"the {network} node did not answer usefully ({type(error).__name__})", network=network
        ) from error


class ChainClients:
    """web3 clients for the nodes the settings name, each call bounded by the settings' RPC timeout."""

    def __init__(self, settings: ApiSettings) -> None:
        self._settings = settings

    @property
    def settings(self) -> ApiSettings:
        """The settings that name the nodes and the deployments registries (the app's own)."""
        return self._settings

    def web3(self, network: Network) -> Web3:
        """A client for `network`'s node; nothing is sent yet."""
        with rpc_failures_as_unavailable(network):
            return make_web3(self._settings.rpc_url(network), timeout=self._settings.rpc_timeout_seconds)

    def chain_id(self, network: Network) -> int:
        """The chain id `network`'s node reports now (`eth_chainId`)."""
        w3 = self.web3(network)
        with rpc_failures_as_unavailable(network):
            return chain_id(w3)


def deployments(settings: ApiSettings, network: Network, node_chain_id: int) -> Deployments | None:
    """`network`'s registry: None while there is none, `RegistryMismatch` if it is another chain's."""
    try:
        registry = Deployments.load(settings.deployments_network(network), settings.deployments_dir)
    except DeploymentsFileMissing:
        return None
    if registry.chain_id != node_chain_id:
        raise RegistryMismatch(
            f"the {network} deployments registry is for chain {registry.chain_id}, "
            f"but the {network} node serves chain {node_chain_id}",
            network=network,
        )
    return registry


@dataclass(frozen=True)
class LatestRead:
    """One of our contracts on `network` and the latest block, at which a read of it is answered."""

    network: Network
    w3: Web3
    chain_id: int
    address: str
    deployed_at: int
    """The block the contract was deployed in (where a scan of its logs starts)."""
    block: BlockData

    def where(self) -> dict[str, Any]:
        """Where and when the read was made, as every answer of such a read names it: `network`, `chain_id`,
        `block_number`, `block_timestamp`."""
        return {
            "network": self.network,
            "chain_id": self.chain_id,
            "block_number": self.block_number,
            "block_timestamp": self.block_timestamp,
        }

    @property
    def block_number(self) -> int:
        """The height every call of the read is made at."""
        return self.block["number"]

    @property
    def block_timestamp(self) -> int:
        """The time of that block (what `vested` or `due` are computed for)."""
        return self.block["timestamp"]


def read_latest(
    chains: ChainClients,
    network: Network,
    contract_name: str,
    not_deployed: type[ApiError],
) -> LatestRead:
    """The registry's `contract_name` on `network` and the latest block; `not_deployed` (with a `network`
    member) while there is no registry or it names no such contract."""
    w3 = chains.web3(network)
    with rpc_failures_as_unavailable(network):
        node_chain_id = chain_id(w3)
        registry = deployments(chains.settings, network, node_chain_id)
        if registry is None:
            raise not_deployed(f"nothing is deployed on {network} yet", network=network)
        if contract_name not in registry:
            raise not_deployed(f"no {contract_name} is deployed on {network}", network=network)
        entry = registry.get(contract_name)
        block = w3.eth.get_block("latest")
    return LatestRead(network, w3, node_chain_id, entry.address, entry.block_number, block)
