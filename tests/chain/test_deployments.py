"""The deployments registry: round trip, atomic saves, and refusal to be used on the wrong chain."""

import json
import os
from pathlib import Path

import pytest
from eth_typing import ChecksumAddress, HexAddress, HexStr
from eth_utils import keccak
from web3 import Web3

from chain.artifacts import deploy
from chain.deployments import DEPLOYMENTS_DIR, Deployment, Deployments
from chain.errors import ChainIdMismatch, DeploymentsError, DeploymentsFileMissing, UnknownDeployment
from chain.merkle import leaf_node

TREASURY = ChecksumAddress(HexAddress(HexStr("0x5FbDB2315678afecb367f032d93F642f64180aa3")))  # EIP-55
TOKEN = ChecksumAddress(HexAddress(HexStr("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")))
TX_A = "0x" + "ab" * 32
TX_B = "0x" + "cd" * 32


def registry(tmp_path: Path, chain_id: int = 31337) -> Deployments:
    deployments = Deployments.create("local", chain_id, tmp_path)
    deployments.record(
        "Treasury", address=TREASURY.lower(), tx_hash=TX_A.upper().replace("0X", "0x"), block_number=1
    )
    deployments.record(
        "USDC", address=TOKEN, tx_hash=bytes.fromhex("cd" * 32), block_number=2, contract_type="Token"
    )
    return deployments


def test_round_trip(tmp_path: Path) -> None:
    path = registry(tmp_path).save()
    assert path == tmp_path / "local.json"
    loaded = Deployments.load("local", tmp_path)
    assert loaded.chain_id == 31337
    assert loaded.names() == ["Treasury", "USDC"]
    assert loaded.get("Treasury") == Deployment("Treasury", TREASURY, "Treasury", TX_A, 1, 31337)
    assert loaded.get("USDC") == Deployment("USDC", TOKEN, "Token", TX_B, 2, 31337)
    assert "USDC" in loaded
    assert "Bridge" not in loaded
    on_disk = json.loads(path.read_text())
    assert on_disk["contracts"]["Treasury"]["address"] == TREASURY  # stored checksummed
    assert on_disk["chain_id"] == 31337
    assert on_disk["contracts"]["USDC"]["chain_id"] == 31337


def test_redeploy_replaces_the_record(tmp_path: Path) -> None:
    deployments = registry(tmp_path)
    deployments.record("Treasury", address=TOKEN, tx_hash=TX_B, block_number=9)
    deployments.save()
    assert Deployments.load("local", tmp_path).get("Treasury").address == TOKEN


def test_default_directory_is_the_project_deployments_folder() -> None:
    assert Deployments.path_for("l2devnet") == DEPLOYMENTS_DIR / "l2devnet.json"
    assert (DEPLOYMENTS_DIR.parent / "ape-config.yaml").is_file()


def test_missing_file_and_unknown_contract_are_named(tmp_path: Path) -> None:
    with pytest.raises(DeploymentsFileMissing, match="nothing has been deployed to 'l2devnet'"):
        Deployments.load("l2devnet", tmp_path)
    registry(tmp_path).save()
    with pytest.raises(UnknownDeployment, match=r"no contract 'Bridge'.*recorded: Treasury, USDC"):
        Deployments.load("local", tmp_path).get("Bridge")


def test_load_or_create(tmp_path: Path) -> None:
    fresh = Deployments.load_or_create("local", 31337, tmp_path)
    assert fresh.names() == []
    registry(tmp_path).save()
    assert Deployments.load_or_create("local", 31337, tmp_path).names() == ["Treasury", "USDC"]
    with pytest.raises(
        ChainIdMismatch, match="is for chain 31337, but the chain being deployed to is on chain 1"
    ):
        Deployments.load_or_create("local", 1, tmp_path)


def test_check_chain_id_against_a_node(tmp_path: Path, tester_w3: Web3) -> None:
    node_chain = tester_w3.eth.chain_id
    Deployments.create("local", node_chain, tmp_path).check_chain_id(tester_w3)
    with pytest.raises(
        ChainIdMismatch, match=f"is for chain 31337, but the connected node is on chain {node_chain}"
    ):
        registry(tmp_path).check_chain_id(tester_w3)


def test_records_from_another_chain_are_refused(tmp_path: Path) -> None:
    deployments = registry(tmp_path)
    with pytest.raises(ChainIdMismatch):
        deployments.record("Bridge", address=TOKEN, tx_hash=TX_A, block_number=3, chain_id=31338)
    path = deployments.save()
    data = json.loads(path.read_text())
    data["contracts"]["USDC"]["chain_id"] = 31338  # a file edited by hand, or merged from another chain
    path.write_text(json.dumps(data))
    with pytest.raises(ChainIdMismatch, match="the record of 'USDC' is on chain 31338"):
        Deployments.load("local", tmp_path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("address", "0x5fbdb2315678afecb367f032d93f642f64180aA3", "EIP-55 checksum of .* is wrong"),
        ("address", "0x1234", "is not an address"),
        ("tx_hash", "0x1234", "not a 32-byte transaction hash"),
        ("block_number", -1, "not a non-negative integer"),
        ("block_number", "7", "not a non-negative integer"),
        ("contract_type", "", "must be a non-empty string"),
    ],
)
def test_malformed_entries_are_refused(tmp_path: Path, field: str, value: object, message: str) -> None:
    path = registry(tmp_path).save()
    data = json.loads(path.read_text())
    data["contracts"]["Treasury"][field] = value
    path.write_text(json.dumps(data))
    with pytest.raises(DeploymentsError, match=message):
        Deployments.load("local", tmp_path)


def test_malformed_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "local.json"
    path.write_text("{not json")
    with pytest.raises(DeploymentsError, match="not valid JSON"):
        Deployments.load("local", tmp_path)
    path.write_text(json.dumps({"network": "local", "chain_id": 1}))
    with pytest.raises(DeploymentsError, match="no 'contracts' object"):
        Deployments.load("local", tmp_path)
    path.write_text(json.dumps({"network": "l2devnet", "chain_id": 1, "contracts": {}}))
    with pytest.raises(DeploymentsError, match="describes network 'l2devnet'"):
        Deployments.load("local", tmp_path)
    path.write_text(json.dumps({"network": "local", "chain_id": 1, "contracts": {"X": {"address": TOKEN}}}))
    with pytest.raises(DeploymentsError, match="lacks a field"):
        Deployments.load("local", tmp_path)


@pytest.mark.parametrize("network", ["../etc", "local.json/..", "", "a/b", ".hidden"])
def test_network_names_cannot_escape_the_directory(tmp_path: Path, network: str) -> None:
    with pytest.raises(DeploymentsError, match="network name"):
        Deployments.load(network, tmp_path)


def test_save_is_atomic_when_the_rename_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = registry(tmp_path).save()
    before = path.read_text()
    changed = Deployments.load("local", tmp_path)
    changed.record("Bridge", address=TOKEN, tx_hash=TX_A, block_number=5)

    def crash(source: object, target: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        changed.save()
    assert path.read_text() == before  # the old registry is intact ...
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local.json"]  # ... and no temporary file is left


def test_save_is_atomic_when_the_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = registry(tmp_path).save()
    before = path.read_text()

    def crash(fd: int) -> None:
        raise OSError("fsync failed")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="fsync failed"):
        Deployments.load("local", tmp_path).save()
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local.json"]


def test_save_creates_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "deployments"
    registry(target).save()
    assert Deployments.load("local", target).names() == ["Treasury", "USDC"]


@pytest.mark.chain
def test_contract_from_the_registry(tmp_path: Path, tester_w3: Web3, compiled_manifest: Path) -> None:
    address, receipt = deploy(tester_w3, "MerkleHarness", sender=tester_w3.eth.accounts[0])
    deployments = Deployments.create("local", tester_w3.eth.chain_id, tmp_path)
    deployments.record(
        "Verifier",
        address=address,
        tx_hash=receipt["transactionHash"],
        block_number=receipt["blockNumber"],
        contract_type="MerkleHarness",
    )
    deployments.save()
    verifier = Deployments.load("local", tmp_path).contract(tester_w3, "Verifier")
    assert verifier.address == address
    leaf = keccak(b"leaf")
    assert verifier.functions.verify([], leaf_node(leaf), leaf).call()  # a one-leaf tree's root
    with pytest.raises(ChainIdMismatch):
        registry(tmp_path).contract(tester_w3, "Treasury")
