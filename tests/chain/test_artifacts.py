"""Artifacts from a real `ape compile` manifest: ABIs, bytecode, plain-web3 deploys and events read back."""

import json
import os
from pathlib import Path

import pytest
from eth_utils import keccak
from web3 import Web3

from chain import artifacts
from chain.errors import ArtifactError, ManifestMissing, UnknownContractType
from chain.merkle import MerkleTree

pytestmark = pytest.mark.chain


def test_manifest_lists_compiled_contract_types(compiled_manifest: Path) -> None:
    manifest = artifacts.load_manifest()
    assert "MerkleHarness" in manifest
    raw = json.loads(compiled_manifest.read_text())["contractTypes"]["MerkleHarness"]
    harness = manifest["MerkleHarness"]
    assert harness.deployment_bytecode == raw["deploymentBytecode"]["bytecode"]
    assert harness.runtime_bytecode == raw["runtimeBytecode"]["bytecode"]
    assert artifacts.deployment_bytecode("MerkleHarness").startswith("0x")
    functions = {entry["name"] for entry in artifacts.abi("MerkleHarness") if entry["type"] == "function"}
    assert functions == {"verify", "process_proof", "check_proof"}


def test_abi_is_a_copy_the_caller_may_change(compiled_manifest: Path) -> None:
    artifacts.abi("MerkleHarness")[0]["name"] = "changed"
    assert artifacts.abi("MerkleHarness")[0]["name"] != "changed"


def test_unknown_contract_type_names_the_known_ones(compiled_manifest: Path) -> None:
    expected = r"no contract type 'Nope'.*MerkleHarness.*run `ape compile`"
    with pytest.raises(UnknownContractType, match=expected):
        artifacts.abi("Nope")


def test_missing_manifest_says_to_compile(tmp_path: Path) -> None:
    with pytest.raises(ManifestMissing, match="run `ape compile`"):
        artifacts.load_manifest(tmp_path / "__local__.json")


def test_malformed_manifest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "__local__.json"
    path.write_text('{"manifest": "ethpm/3"}')
    with pytest.raises(ArtifactError, match="is not an Ape build manifest"):
        artifacts.load_manifest(path)


def test_manifest_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "__local__.json"
    module = {"abi": [], "deploymentBytecode": {"bytecode": "0x"}, "runtimeBytecode": {"bytecode": "0x"}}
    path.write_text(json.dumps({"contractTypes": {"first": module}}))
    assert artifacts.load_manifest(path) is artifacts.load_manifest(path)
    assert list(artifacts.load_manifest(path)) == ["first"]
    with pytest.raises(ArtifactError, match="has no deployment bytecode"):
        artifacts.deployment_bytecode("first", manifest_path=path)
    path.write_text(json.dumps({"contractTypes": {"first": module, "second": module}}))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a recompile within one clock tick
    assert sorted(artifacts.load_manifest(path)) == ["first", "second"]


def test_deploy_call_and_decode_events(compiled_manifest: Path, tester_w3: Web3) -> None:
    sender = tester_w3.eth.accounts[0]
    address, receipt = artifacts.deploy(tester_w3, "MerkleHarness", sender=sender)
    assert receipt["status"] == 1
    assert address == receipt["contractAddress"]
    harness = artifacts.contract(tester_w3, "MerkleHarness", address.lower())
    assert harness.address == address

    tree = MerkleTree([keccak(bytes([i])) for i in range(5)])
    proof, leaf = tree.proof(3), tree.leaves[3]
    assert harness.functions.verify(proof, tree.root, leaf).call()

    tx_hash = harness.functions.check_proof(proof, tree.root, leaf).transact({"from": sender})
    receipt = tester_w3.eth.wait_for_transaction_receipt(tx_hash)
    events = artifacts.decode_receipt_events(tester_w3, receipt, {address.lower(): "MerkleHarness"})
    assert len(events) == 1
    event = events[0]
    assert event.contract == "MerkleHarness"
    assert event.address == address
    assert event.event == "ProofChecked"
    assert event.args == {"root": "0x" + tree.root.hex(), "leaf": "0x" + leaf.hex(), "valid": True}
    assert event.log_index == receipt["logs"][0]["logIndex"]
    assert event.block_number == receipt["blockNumber"]
    assert event.tx_hash == tx_hash.to_0x_hex()

    # Only listed contracts are decoded; a listed address whose type lacks the event is an error.
    assert artifacts.decode_receipt_events(tester_w3, receipt, {}) == []
    with pytest.raises(ArtifactError, match="which is no event in the merkle ABI"):
        artifacts.decode_receipt_events(tester_w3, receipt, {address: "merkle"})
