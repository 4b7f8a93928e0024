"""Contract ABIs and bytecode from Ape's build manifest, and plain-web3 deploys and event decoding with them.

`ape compile` writes every contract type to `.build/__local__.json` (an EIP-2678 package manifest). Reading
that file, instead of keeping ABIs by hand, means the Python side always speaks to the contracts as last
compiled, and code that does not run under Ape (the API, the relay, benchmarks) still gets them.
"""

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, cast

from eth_typing import ABIEvent, ChecksumAddress
from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.types import LogReceipt, TxReceipt

from chain.errors import ArtifactError, DeploymentFailed, ManifestMissing, UnknownContractType
from chain.paths import BUILD_MANIFEST, PROJECT_ROOT

# The project root, found once from this package's place in the source tree (chain/ sits at the root).
MANIFEST_PATH = BUILD_MANIFEST
DEPLOY_RECEIPT_TIMEOUT = 120.0


@dataclass(frozen=True)
class ContractArtifact:
    """One compiled contract type: what a client needs to deploy it and talk to it."""

    name: str
    abi: tuple[Mapping[str, Any], ...]
    deployment_bytecode: str  # 0x-hex init code; "0x" for types that cannot be deployed (modules, interfaces)
    runtime_bytecode: str


@dataclass(frozen=True)
class DecodedEvent:
    """An event log read back from a receipt, with its arguments as JSON-friendly ints, strings and lists.

    (tx_hash, log_index) identifies the log uniquely, which is what a handler keys its work by.
    """

    contract: str
    address: ChecksumAddress
    event: str
    args: dict[str, Any]
    log_index: int
    block_number: int
    tx_hash: str


def load_manifest(path: Path | None = None) -> Mapping[str, ContractArtifact]:
    """Every contract type in the manifest, by name; read once and re-read only when the file changes."""
    manifest_path = path or MANIFEST_PATH
    try:
        stat = manifest_path.stat()
    except FileNotFoundError:
        raise ManifestMissing(
            f"no build manifest at {manifest_path}: run `ape compile` in {PROJECT_ROOT} first"
        ) from None
    return _read_manifest(manifest_path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read_manifest(path: Path, mtime_ns: int, size: int) -> Mapping[str, ContractArtifact]:
    """Parse the manifest; `mtime_ns` and `size` are part of the cache key so a recompile is seen."""
    try:
        manifest = json.loads(path.read_text())
        contract_types = manifest["contractTypes"]
        artifacts = {
            name: ContractArtifact(
                name=name,
                abi=tuple(contract_type.get("abi", ())),
                deployment_bytecode=(contract_type.get("deploymentBytecode") or {}).get("bytecode") or "0x",
                runtime_bytecode=(contract_type.get("runtimeBytecode") or {}).get("bytecode") or "0x",
            )
            for name, contract_type in contract_types.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ArtifactError(
            f"{path} is not an Ape build manifest ({error!r}): run `ape compile` again"
        ) from None
    return MappingProxyType(artifacts)


def artifact(name: str, *, manifest_path: Path | None = None) -> ContractArtifact:
    """The compiled contract type `name` (the contract's file name without `.vy`)."""
    artifacts = load_manifest(manifest_path)
    try:
        return artifacts[name]
    except KeyError:
        raise UnknownContractType(
            f"no contract type {name!r} in the build manifest (known: {', '.join(sorted(artifacts))}); "
            "if it is new, run `ape compile`"
        ) from None


def abi(name: str, *, manifest_path: Path | None = None) -> list[dict[str, Any]]:
    """The ABI of contract type `name`, as a fresh list the caller may change."""
    return [copy.deepcopy(dict(entry)) for entry in artifact(name, manifest_path=manifest_path).abi]


def deployment_bytecode(name: str, *, manifest_path: Path | None = None) -> str:
    """The init code (0x-hex) that deploys contract type `name`."""
    bytecode = artifact(name, manifest_path=manifest_path).deployment_bytecode
    if bytecode in ("", "0x"):
        raise ArtifactError(f"contract type {name!r} has no deployment bytecode (a module or an interface?)")
    return bytecode


def contract(w3: Web3, name: str, address: str, *, manifest_path: Path | None = None) -> Contract:
    """A web3 contract object for the deployed contract of type `name` at `address`."""
    return w3.eth.contract(address=to_checksum_address(address), abi=abi(name, manifest_path=manifest_path))


class DeployedContract:
    """A deployed project contract of type `contract_type`, through plain web3 (the API and the relay do not
    run under Ape). `from_block` is its deployment block (the registry records it): event scans start there,
    so log queries stay short."""

    contract_type: ClassVar[str]

    def __init__(self, w3: Web3, address: str, *, from_block: int = 0) -> None:
        self.w3 = w3
        self.contract: Contract = contract(w3, self.contract_type, address)
        self.address: ChecksumAddress = self.contract.address
        self.from_block = from_block


def deploy(
    w3: Web3, name: str, *args: Any, sender: str, manifest_path: Path | None = None
) -> tuple[ChecksumAddress, TxReceipt]:
    """Deploy contract type `name` with constructor `args` from `sender`; wait; return address and receipt.

    `sender` must be an account the node (or a signing middleware of `w3`) can send from. A reverted
    deployment raises `DeploymentFailed`.
    """
    factory = w3.eth.contract(
        abi=abi(name, manifest_path=manifest_path),
        bytecode=deployment_bytecode(name, manifest_path=manifest_path),
    )
    tx_hash = factory.constructor(*args).transact({"from": to_checksum_address(sender)})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=DEPLOY_RECEIPT_TIMEOUT)
    address = receipt.get("contractAddress")
    if receipt["status"] != 1 or address is None:
        raise DeploymentFailed(f"deploying {name} reverted in transaction {tx_hash.to_0x_hex()}")
    return to_checksum_address(address), receipt


def decode_receipt_events(
    w3: Web3, receipt: TxReceipt, names_by_address: Mapping[str, str], *, manifest_path: Path | None = None
) -> list[DecodedEvent]:
    """The receipt's logs emitted by the contracts in `names_by_address` (address -> contract type), decoded.

    Logs of other addresses (a token the transaction touched, say) are left out. A log from a listed contract
    that its ABI does not describe raises `ArtifactError`: it means the address or the type is wrong.
    """
    events_by_address = {
        to_checksum_address(address): _events_by_topic(name, manifest_path)
        for address, name in names_by_address.items()
    }
    contract_names = {to_checksum_address(address): name for address, name in names_by_address.items()}
    decoded = []
    for log in receipt["logs"]:
        address = to_checksum_address(log["address"])
        if address not in events_by_address:
            continue
        decoded.append(_decode_log(w3, log, contract_names[address], events_by_address[address]))
    return decoded


def _events_by_topic(name: str, manifest_path: Path | None) -> dict[bytes, dict[str, Any]]:
    """The event ABIs of contract type `name`, keyed by their topic 0 (the event signature's hash)."""
    return {
        event_abi_to_log_topic(cast(ABIEvent, entry)): entry
        for entry in abi(name, manifest_path=manifest_path)
        if entry.get("type") == "event" and not entry.get("anonymous", False)
    }


def _decode_log(
    w3: Web3, log: LogReceipt, contract_name: str, events_by_topic: Mapping[bytes, dict[str, Any]]
) -> DecodedEvent:
    address = to_checksum_address(log["address"])
    topic = bytes(log["topics"][0]) if log["topics"] else b""
    event_abi = events_by_topic.get(topic)
    if event_abi is None:
        raise ArtifactError(
            f"log {log['logIndex']} of {contract_name} at {address} has topic 0x{topic.hex()}, "
            f"which is no event in the {contract_name} ABI"
        )
    event = w3.eth.contract(address=address, abi=[event_abi]).events[event_abi["name"]]()
    data = event.process_log(log)
    return DecodedEvent(
        contract=contract_name,
        address=address,
        event=data["event"],
        args={key: _plain(value) for key, value in data["args"].items()},
        log_index=int(data["logIndex"]),
        block_number=int(data["blockNumber"]),
        tx_hash=_plain(data["transactionHash"]),
    )


def _plain(value: Any) -> Any:
    """An event argument as JSON-friendly data: bytes as 0x-hex, tuples as lists, structs as dicts."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
