"""GET /v1/chains/{network}/transactions/{tx_hash}/events: decoding, caching of final receipts, errors."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import vyper
from eth_typing import HexStr
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web3 import EthereumTesterProvider, Web3

import chain.artifacts
from api.deps import get_chain_clients
from api.models import ChainEvent, ChainReceipt
from api.settings import ApiSettings
from chain.artifacts import deploy
from chain.deployments import Deployments
from tests.api.conftest import InProcessChains
from tests.helpers.db import count_rows, session_on

EMITTER_SOURCE = Path(__file__).parent / "contracts" / "Emitter.vy"
UNKNOWN_TX = "0x" + "00" * 32
MEMO = b"invoice 2024-0001"
BIG_AMOUNT = 2**255 + 12345  # beyond float precision: must come back exact, as a decimal string


@pytest.fixture(scope="module")
def emitter_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Ape-style build manifest holding only the test Emitter contract."""
    compiled = vyper.compile_code(
        EMITTER_SOURCE.read_text(), output_formats=["abi", "bytecode", "bytecode_runtime"]
    )
    manifest = {
        "contractTypes": {
            "Emitter": {
                "abi": compiled["abi"],
                "deploymentBytecode": {"bytecode": compiled["bytecode"]},
                "runtimeBytecode": {"bytecode": compiled["bytecode_runtime"]},
            }
        }
    }
    path = tmp_path_factory.mktemp("build") / "__local__.json"
    path.write_text(json.dumps(manifest))
    return path


@dataclass(frozen=True)
class Deployed:
    ours: str  # recorded in the registry as "Notes"
    stranger: str  # same code, not in the registry
    sender: str


@pytest.fixture
def deployed(
    l1_in_process: Web3, emitter_manifest: Path, api_settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> Deployed:
    """Two Emitters on the in-process l1; only one is in the l1 deployments registry."""
    monkeypatch.setattr(chain.artifacts, "MANIFEST_PATH", emitter_manifest)
    sender = l1_in_process.eth.accounts[0]
    ours, receipt = deploy(l1_in_process, "Emitter", sender=sender)
    stranger, _ = deploy(l1_in_process, "Emitter", sender=sender)
    registry = Deployments.create(
        api_settings.deployments_network("l1"), l1_in_process.eth.chain_id, api_settings.deployments_dir
    )
    registry.record(
        "Notes",
        address=ours,
        tx_hash=receipt["transactionHash"],
        block_number=receipt["blockNumber"],
        contract_type="Emitter",
    )
    registry.save()
    return Deployed(ours=ours, stranger=stranger, sender=sender)


def _note(w3: Web3, address: str, sender: str, amount: int, memo: bytes) -> str:
    emitter = chain.artifacts.contract(w3, "Emitter", address)
    tx_hash = emitter.functions.note(amount, memo).transact({"from": sender})
    w3.eth.wait_for_transaction_receipt(tx_hash)
    return tx_hash.to_0x_hex()


def _url(network: str, tx_hash: str) -> str:
    return f"/v1/chains/{network}/transactions/{tx_hash}/events"


def test_decodes_our_events_and_leaves_out_strangers(
    client: TestClient, l1_in_process: Web3, deployed: Deployed
):
    tx_hash = _note(l1_in_process, deployed.ours, deployed.sender, BIG_AMOUNT, MEMO)
    _note(l1_in_process, deployed.stranger, deployed.sender, 1, b"not ours")

    response = client.get(_url("l1", tx_hash))
    assert response.status_code == 200
    body = response.json()
    receipt = l1_in_process.eth.get_transaction_receipt(HexStr(tx_hash))
    assert body == {
        "network": "l1",
        "chain_id": str(l1_in_process.eth.chain_id),
        "tx_hash": tx_hash,
        "block_number": receipt["blockNumber"],
        "block_hash": receipt["blockHash"].to_0x_hex(),
        "status": 1,
        "final": False,
        "events": [
            {
                "log_index": 0,
                "contract": "Notes",
                "contract_type": "Emitter",
                "address": deployed.ours,
                "event": "Noted",
                "args": {"sender": deployed.sender, "amount": str(BIG_AMOUNT), "memo": "0x" + MEMO.hex()},
            }
        ],
    }


def test_a_stranger_contracts_transaction_has_no_events(
    client: TestClient, l1_in_process: Web3, deployed: Deployed
):
    tx_hash = _note(l1_in_process, deployed.stranger, deployed.sender, 1, b"x")
    body = client.get(_url("l1", tx_hash)).json()
    assert body["status"] == 1
    assert body["events"] == []


def test_a_recorded_contract_built_elsewhere_is_left_out_and_ours_still_decode(
    client: TestClient, l1_in_process: Web3, deployed: Deployed, api_settings: ApiSettings
):
    """The devnet records its Uniswap V2 pair (an npm artifact, not in our manifest) beside our contracts."""
    registry = Deployments.load(api_settings.deployments_network("l1"), api_settings.deployments_dir)
    registry.record(
        "TPW-tUSD-UniswapV2Pair",
        address=deployed.stranger,
        tx_hash="0x" + "11" * 32,
        block_number=1,
        contract_type="UniswapV2Pair",
    )
    registry.save()
    theirs = client.get(_url("l1", _note(l1_in_process, deployed.stranger, deployed.sender, 1, b"x")))
    assert (theirs.status_code, theirs.json()["events"]) == (200, [])
    ours = client.get(_url("l1", _note(l1_in_process, deployed.ours, deployed.sender, 2, MEMO))).json()
    assert [(event["contract"], event["event"]) for event in ours["events"]] == [("Notes", "Noted")]


def test_upper_case_hash_is_the_same_transaction(client: TestClient, l1_in_process: Web3, deployed: Deployed):
    tx_hash = _note(l1_in_process, deployed.ours, deployed.sender, 5, b"")
    body = client.get(_url("l1", "0x" + tx_hash[2:].upper())).json()
    assert body["tx_hash"] == tx_hash
    assert [event["args"]["amount"] for event in body["events"]] == ["5"]


def test_only_final_receipts_are_cached_and_then_served_from_the_cache(
    client: TestClient, l1_in_process: Web3, deployed: Deployed, api_settings: ApiSettings
):
    tx_hash = _note(l1_in_process, deployed.ours, deployed.sender, 7, b"final")
    first = client.get(_url("l1", tx_hash)).json()
    assert first["final"] is False
    assert count_rows(api_settings.database_url, ChainReceipt) == 0

    l1_in_process.provider.ethereum_tester.mine_blocks(api_settings.finality_blocks - 1)  # type: ignore[attr-defined]
    second = client.get(_url("l1", tx_hash)).json()
    assert second["final"] is True
    assert count_rows(api_settings.database_url, ChainReceipt) == 1

    # Served from the cache: the registry is gone, yet the events are still named.
    Deployments.path_for(api_settings.deployments_network("l1"), api_settings.deployments_dir).unlink()
    third = client.get(_url("l1", tx_hash)).json()
    assert third == second
    assert third["events"][0]["contract"] == "Notes"


@pytest.mark.parametrize("restarted_height", [0, 20], ids=["shorter", "as-tall"])
def test_a_cached_receipt_of_a_chain_that_is_gone_is_dropped(
    app: FastAPI,
    client: TestClient,
    l1_in_process: Web3,
    deployed: Deployed,
    api_settings: ApiSettings,
    restarted_height: int,
):
    """A devnet restarted with the same chain id must not be answered from the old chain's cache."""
    tx_hash = _note(l1_in_process, deployed.ours, deployed.sender, 7, b"old chain")
    l1_in_process.provider.ethereum_tester.mine_blocks(api_settings.finality_blocks)  # type: ignore[attr-defined]
    assert client.get(_url("l1", tx_hash)).json()["final"] is True
    assert count_rows(api_settings.database_url, ChainReceipt) == 1

    restarted = Web3(EthereumTesterProvider())
    assert restarted.eth.chain_id == l1_in_process.eth.chain_id
    # Shorter: the cached height does not exist; as tall: it exists and holds another block.
    restarted.provider.ethereum_tester.mine_blocks(restarted_height)  # type: ignore[attr-defined]
    app.dependency_overrides[get_chain_clients] = lambda: InProcessChains(api_settings, {"l1": restarted})
    response = client.get(_url("l1", tx_hash))
    assert response.status_code == 404
    assert count_rows(api_settings.database_url, ChainReceipt) == 0


def test_without_a_registry_nothing_is_decoded_or_cached(
    client: TestClient, l1_in_process: Web3, deployed: Deployed, api_settings: ApiSettings
):
    tx_hash = _note(l1_in_process, deployed.ours, deployed.sender, 7, b"")
    Deployments.path_for(api_settings.deployments_network("l1"), api_settings.deployments_dir).unlink()
    l1_in_process.provider.ethereum_tester.mine_blocks(api_settings.finality_blocks)  # type: ignore[attr-defined]
    body = client.get(_url("l1", tx_hash)).json()
    assert body["final"] is True
    assert body["events"] == []
    assert count_rows(api_settings.database_url, ChainReceipt) == 0


def test_a_registry_of_another_chain_is_refused(
    client: TestClient, l1_in_process: Web3, deployed: Deployed, api_settings: ApiSettings
):
    tx_hash = _note(l1_in_process, deployed.ours, deployed.sender, 1, b"")
    other = Deployments.create(api_settings.deployments_network("l1"), 31337, api_settings.deployments_dir)
    other.record("Notes", address=deployed.ours, tx_hash=tx_hash, block_number=1, contract_type="Emitter")
    other.save()
    response = client.get(_url("l1", tx_hash))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:tpwallet:problem:registry-mismatch"
    assert "31337" in response.json()["detail"]


def test_unknown_transaction_is_404(client: TestClient, l1_in_process: Web3):
    response = client.get(_url("l1", UNKNOWN_TX))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:tpwallet:problem:transaction-not-found"


@pytest.mark.parametrize("network", ["l3", "local", "L1", "mainnet"])
def test_unknown_network_is_404(client: TestClient, network: str):
    response = client.get(_url(network, UNKNOWN_TX))
    assert response.status_code == 404
    assert response.json()["type"] == "urn:tpwallet:problem:unknown-network"
    assert "l1, l2" in response.json()["detail"]


def test_node_down_is_503_naming_the_network(client: TestClient, api_settings: ApiSettings):
    response = client.get(_url("l2", UNKNOWN_TX))
    assert response.status_code == 503
    problem = response.json()
    assert problem["type"] == "urn:tpwallet:problem:chain-unavailable"
    assert problem["network"] == "l2"
    assert api_settings.l2_rpc_url not in response.text


@pytest.mark.parametrize(
    "bad_hash", ["0x1234", "0x" + "g" * 64, "ab" * 32, "0x" + "00" * 33, "0X" + "00" * 32]
)
def test_malformed_hash_is_422_before_any_node_is_asked(client: TestClient, bad_hash: str):
    response = client.get(_url("l2", bad_hash))  # l2 is down: a 503 would mean the node was asked
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tx_hash"


def test_events_table_rows_match_the_answer(
    client: TestClient, l1_in_process: Web3, deployed: Deployed, api_settings: ApiSettings
):
    tx_hash = _note(l1_in_process, deployed.ours, deployed.sender, 3, b"row")
    l1_in_process.provider.ethereum_tester.mine_blocks(api_settings.finality_blocks)  # type: ignore[attr-defined]
    client.get(_url("l1", tx_hash))
    with session_on(api_settings.database_url) as session:
        rows = session.scalars(select(ChainEvent)).all()
        assert [(row.tx_hash, row.contract_name, row.event_name, row.args["amount"]) for row in rows] == [
            (tx_hash, "Notes", "Noted", 3)
        ]


def test_integers_beyond_double_precision_stay_exact_strings_through_the_cache(
    client: TestClient, l1_in_process: Web3, deployed: Deployed, api_settings: ApiSettings
):
    """A uint256 arg as a JSON number would reach a JavaScript client rounded; as a string it cannot be."""
    tx_hash = _note(l1_in_process, deployed.ours, deployed.sender, BIG_AMOUNT, b"big")
    l1_in_process.provider.ethereum_tester.mine_blocks(api_settings.finality_blocks)  # type: ignore[attr-defined]
    fresh = client.get(_url("l1", tx_hash))
    cached = client.get(_url("l1", tx_hash))
    assert count_rows(api_settings.database_url, ChainReceipt) == 1
    for response in (fresh, cached):
        assert f'"amount":"{BIG_AMOUNT}"' in response.text
        assert f'"chain_id":"{l1_in_process.eth.chain_id}"' in response.text
