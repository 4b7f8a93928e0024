"""The API's way to the chains: which node serves a network, and what a failed call means to a client.

Networks are named by role in the API, `l1` and `l2`; the settings bind each role to an RPC URL and to the
Ape network whose deployments registry lists our contracts there. A node that cannot be reached, times out or
answers garbage becomes `ChainUnavailable` (503); the URL is never put in the message (hosted RPC URLs carry
API keys). Routes get a `ChainClients` through a dependency, so a test can hand them an in-process chain.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import get_args

from web3 import Web3
from web3.exceptions import TransactionNotFound, Web3Exception

from api.errors import ChainUnavailable, UnknownNetwork
from api.settings import ApiSettings, Network
from chain.client import chain_id, make_web3
from chain.errors import RpcError

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

    def web3(self, network: Network) -> Web3:
        """A client for `network`'s node; nothing is sent yet."""
        with rpc_failures_as_unavailable(network):
            return make_web3(self._settings.rpc_url(network), timeout=self._settings.rpc_timeout_seconds)

    def chain_id(self, network: Network) -> int:
        """The chain id `network`'s node reports now (`eth_chainId`)."""
        w3 = self.web3(network)
        with rpc_failures_as_unavailable(network):
            return chain_id(w3)
