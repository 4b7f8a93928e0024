"""The deployments registry: where each contract of a network lives, kept in `deployments/<network>.json`.

The deploy script records every contract it deploys; the API, the relay and the demo look addresses up here
instead of being told them. A registry belongs to one chain: its chain id is written in the file and in every
record, and `check_chain_id` refuses to use it against a node that reports another chain (a devnet restarted
with other ids, or an RPC URL of the wrong network, would otherwise send funds to strangers' addresses).

File format (keys sorted, 2-space indent):

    {
      "network": "local",
      "chain_id": 31337,
      "contracts": {
        "Treasury": {"address": "0x…", "contract_type": "Treasury", "tx_hash": "0x…",
                     "block_number": 12, "chain_id": 31337}
      }
    }
"""

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import is_address, is_checksum_address, to_checksum_address
from web3 import Web3
from web3.contract import Contract

from chain import artifacts
from chain.client import chain_id as node_chain_id
from chain.errors import ChainIdMismatch, DeploymentsError, DeploymentsFileMissing, UnknownDeployment
from chain.files import PRIVATE, write_atomic
from chain.paths import PROJECT_ROOT

DEPLOYMENTS_DIR = PROJECT_ROOT / "deployments"
NETWORK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
TX_HASH = re.compile(r"0x[0-9a-f]{64}")


@dataclass(frozen=True)
class Deployment:
    """One deployed contract: its name in the registry, where it is, of which type, and how it got there."""

    name: str
    address: ChecksumAddress
    contract_type: str  # the artifact name in Ape's build manifest
    tx_hash: str  # 0x-hex, lower case
    block_number: int
    chain_id: int


def _checksummed(address: Any, what: str) -> ChecksumAddress:
    """`address` in EIP-55 form; mixed-case input must already carry a valid checksum."""
    if not isinstance(address, str) or not is_address(address):
        raise DeploymentsError(f"{what}: {address!r} is not an address")
    digits = address[2:]
    if digits not in (digits.lower(), digits.upper()) and not is_checksum_address(address):
        raise DeploymentsError(f"{what}: the EIP-55 checksum of {address!r} is wrong (a mistyped address?)")
    return to_checksum_address(address)


def _tx_hash(tx_hash: Any, what: str) -> str:
    """A transaction hash as 0x-hex in lower case, from text or bytes."""
    text = "0x" + bytes(tx_hash).hex() if isinstance(tx_hash, bytes | bytearray) else tx_hash
    if not isinstance(text, str) or not TX_HASH.fullmatch(text.lower()):
        raise DeploymentsError(f"{what}: {tx_hash!r} is not a 32-byte transaction hash")
    return text.lower()


def _natural(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DeploymentsError(f"{what}: {value!r} is not a non-negative integer")
    return value


class Deployments:
    """The registry of one network: load it, look contracts up, record new ones, save it atomically."""

    def __init__(self, network: str, chain_id: int, path: Path) -> None:
        self.network = network
        self.chain_id = _natural(chain_id, f"chain id of {network}")
        self.path = path
        self._contracts: dict[str, Deployment] = {}

    @staticmethod
    def path_for(network: str, directory: Path | None = None) -> Path:
        """Where the registry of `network` lives: `<directory>/<network>.json`, by default in deployments/."""
        if not NETWORK_NAME.fullmatch(network):
            raise DeploymentsError(f"network name {network!r} must be letters, digits, '-' and '_'")
        return (directory or DEPLOYMENTS_DIR) / f"{network}.json"

    @classmethod
    def create(cls, network: str, chain_id: int, directory: Path | None = None) -> "Deployments":
        """An empty registry for `network` on chain `chain_id`; nothing is written until `save`."""
        return cls(network, chain_id, cls.path_for(network, directory))

    @classmethod
    def load(cls, network: str, directory: Path | None = None) -> "Deployments":
        """The registry of `network` as last saved."""
        path = cls.path_for(network, directory)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise DeploymentsFileMissing(
                f"no deployments registry at {path}: nothing has been deployed to {network!r} yet"
            ) from None
        except ValueError as error:
            raise DeploymentsError(f"{path} is not valid JSON: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("contracts"), dict):
            raise DeploymentsError(f"{path} is not a deployments registry (no 'contracts' object)")
        if data.get("network") != network:
            raise DeploymentsError(f"{path} describes network {data.get('network')!r}, not {network!r}")
        try:
            registry = cls(network, data["chain_id"], path)
            for name, entry in data["contracts"].items():
                registry.record(
                    name,
                    address=entry["address"],
                    tx_hash=entry["tx_hash"],
                    block_number=entry["block_number"],
                    contract_type=entry["contract_type"],
                    chain_id=entry["chain_id"],
                )
        except (KeyError, TypeError) as error:
            raise DeploymentsError(f"{path} lacks a field or has one of the wrong kind ({error!r})") from None
        return registry

    @classmethod
    def load_or_create(cls, network: str, chain_id: int, directory: Path | None = None) -> "Deployments":
        """The saved registry of `network` if there is one (it must be for `chain_id`), else an empty one."""
        try:
            registry = cls.load(network, directory)
        except DeploymentsFileMissing:
            return cls.create(network, chain_id, directory)
        registry._require_chain_id(chain_id, "the chain being deployed to")
        return registry

    def __contains__(self, name: object) -> bool:
        return name in self._contracts

    def names(self) -> list[str]:
        """The recorded contract names, sorted."""
        return sorted(self._contracts)

    def get(self, name: str) -> Deployment:
        """The deployment recorded as `name`."""
        try:
            return self._contracts[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise UnknownDeployment(
                f"no contract {name!r} in the {self.network!r} registry at {self.path} (recorded: {known})"
            ) from None

    def record(
        self,
        name: str,
        *,
        address: str,
        tx_hash: str | bytes,
        block_number: int,
        contract_type: str | None = None,
        chain_id: int | None = None,
    ) -> Deployment:
        """Record (or replace, on a redeploy) contract `name`; `contract_type` defaults to `name`.

        `chain_id`, when given, must be the registry's: a record from another chain is refused.
        """
        what = f"{self.network}/{name}"
        if not isinstance(name, str) or not name:
            raise DeploymentsError(f"contract name {name!r} must be a non-empty string")
        contract_type = name if contract_type is None else contract_type
        if not isinstance(contract_type, str) or not contract_type:
            raise DeploymentsError(f"{what}: contract type {contract_type!r} must be a non-empty string")
        if chain_id is not None:
            self._require_chain_id(_natural(chain_id, f"{what} chain id"), f"the record of {name!r}")
        deployment = Deployment(
            name=name,
            address=_checksummed(address, what),
            contract_type=contract_type,
            tx_hash=_tx_hash(tx_hash, what),
            block_number=_natural(block_number, f"{what} block number"),
            chain_id=self.chain_id,
        )
        self._contracts[name] = deployment
        return deployment

    def contract(self, w3: Web3, name: str) -> Contract:
        """A web3 contract object for `name`, once the node behind `w3` is shown to be on this chain."""
        self.check_chain_id(w3)
        deployment = self.get(name)
        return artifacts.contract(w3, deployment.contract_type, deployment.address)

    def check_chain_id(self, w3: Web3) -> None:
        """Refuse (`ChainIdMismatch`) if the node behind `w3` is not on this registry's chain."""
        self._require_chain_id(node_chain_id(w3), "the connected node")

    def _require_chain_id(self, chain_id: int, source: str) -> None:
        if chain_id != self.chain_id:
            raise ChainIdMismatch(
                f"the {self.network!r} registry at {self.path} is for chain {self.chain_id}, "
                f"but {source} is on chain {chain_id}"
            )

    def to_json(self) -> dict[str, Any]:
        """The registry as the JSON object the file holds."""
        contracts = {}
        for name in self.names():
            entry = asdict(self._contracts[name])
            del entry["name"]
            contracts[name] = entry
        return {"network": self.network, "chain_id": self.chain_id, "contracts": contracts}

    def save(self) -> Path:
        """Write the registry atomically and durably (`write_atomic`): no reader ever sees half a file, and
        a crash leaves the old registry or the new one."""
        text = json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"
        write_atomic(self.path, text.encode(), mode=PRIVATE)
        return self.path
