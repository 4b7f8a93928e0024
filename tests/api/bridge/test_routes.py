"""`/v1/bridge` on a real relay run: a deposit's status by its L1 transaction from seen to claimed, the
message by id, its proof (which makes the attested root and is what the L2 bridge took), the batches; bad
ids answer 422 naming the field, unknown ones 404; only `custody:read` reads (a merchant's key, another
scope and a bad key are refused)."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from chain.bridge.batch import proves
from chain.bridge.message import Message
from chain.dev_accounts import dev_accounts
from relay.bridge.delivery import Deliverer, Signer
from tests.api.bridge.test_relay_devnet import relay, seen
from tests.api.merchants.conftest import (  # noqa: F401  (fixtures)
    Caller,
    Onboarded,
    admin,
    merchant_a,
    operator,
    session,
)
from tests.helpers.bridge_pair import USERS, Bridges

pytestmark = pytest.mark.devnet

BRIDGE = "/v1/bridge"


def test_a_deposit_is_followed_from_seen_to_claimed(
    bridges: Bridges,
    engine: Engine,
    sign: Signer,
    operator: Callable[..., Caller],  # noqa: F811
    client: TestClient,
) -> None:
    reader: Caller = operator("custody:read")
    alice, bob = dev_accounts()[USERS[0]], dev_accounts()[USERS[1]]
    tx_hash = bridges.deposit(alice, 1_250_000, bob.address)
    other = bridges.deposit(alice, 750_000)
    assert reader.get(f"{BRIDGE}/deposits/{tx_hash}").status_code == 404  # not read yet
    assert seen(bridges, engine) == 2

    deposit = reader.get(f"{BRIDGE}/deposits/{tx_hash.upper().replace('0X', '0x')}")
    assert deposit.status_code == 200, deposit.text
    (message,) = deposit.json()["data"]
    assert (message["status"], message["amount"], message["recipient"], message["nonce"]) == (
        "seen",
        "1250000",
        bob.address,
        "1",
    )
    assert (message["src_chain_id"], message["dst_chain_id"], message["batch_seq"]) == (
        "31337",
        "31338",
        None,
    )
    path = f"{BRIDGE}/messages/{message['id']}"
    assert reader.get(path).json() == message
    waiting = reader.get(f"{path}/proof")
    assert (waiting.status_code, waiting.json()["type"].rsplit(":", 1)[-1]) == (
        409,
        "bridge-message-not-batched",
    )

    deliverer: Deliverer = relay(bridges, engine, sign)
    assert deliverer.run_once() == 2
    claimed = reader.get(path).json()
    assert (claimed["status"], claimed["batch_seq"]) == ("claimed", "1")
    assert claimed["claim_tx_hash"].startswith("0x")
    assert claimed["challenge_ends_at"] is not None
    body = reader.get(f"{path}/proof").json()
    route = bridges.l2.inbound()
    onchain = Message(
        route, 1, bridges.tusd.address, bridges.bridged.address, alice.address, bob.address, 1_250_000
    )
    proof = [bytes.fromhex(node[2:]) for node in body["proof"]]
    assert body["leaf"] == "0x" + onchain.leaf().hex()
    assert proves(bytes.fromhex(body["root"][2:]), onchain, proof)
    assert not proves(
        bytes.fromhex(body["root"][2:]), Message(**{**onchain.__dict__, "amount": 1_250_001}), proof
    )
    assert bridges.l2.record(1).fingerprint[:27] == bytes.fromhex(body["root"][2:])[:27]
    assert reader.get(f"{BRIDGE}/deposits/{other}").json()["data"][0]["status"] == "claimed"

    batches = reader.get(f"{BRIDGE}/batches").json()
    assert [(batch["seq"], batch["status"], batch["count"]) for batch in batches["data"]] == [
        ("1", "delivered", 2)
    ]
    assert batches["data"][0]["root"] == body["root"]
    assert batches["data"][0]["prev_root"] == "0x" + "00" * 32


def test_bad_and_unknown_ids(operator: Callable[..., Caller]) -> None:  # noqa: F811
    reader: Caller = operator("custody:read")
    bad = reader.get(f"{BRIDGE}/messages/not-an-id")
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["message_id"]
    bad_tx = reader.get(f"{BRIDGE}/deposits/0x1234")
    assert bad_tx.status_code == 422
    assert [error["field"] for error in bad_tx.json()["errors"]] == ["tx_hash"]
    assert reader.get(f"{BRIDGE}/messages/bm_{'0' * 32}").status_code == 404
    assert reader.get(f"{BRIDGE}/messages/bm_{'0' * 32}/proof").status_code == 404
    assert reader.get(f"{BRIDGE}/batches?limit=0").status_code == 422
    assert reader.get(f"{BRIDGE}/batches").json()["data"] == []


def test_only_custody_readers_read_the_bridge(
    operator: Callable[..., Caller],  # noqa: F811
    merchant_a: Onboarded,  # noqa: F811
    client: TestClient,
) -> None:
    paths = [
        f"{BRIDGE}/messages/bm_{'0' * 32}",
        f"{BRIDGE}/messages/bm_{'0' * 32}/proof",
        f"{BRIDGE}/deposits/0x{'ab' * 32}",
        f"{BRIDGE}/batches",
    ]
    for path in paths:
        for outsider in (
            merchant_a.sandbox,
            merchant_a.live,
            operator("ledger:read"),
            operator("custody:sign"),
        ):
            assert outsider.get(path).status_code == 403, path
        assert client.get(path, headers={"Authorization": "Bearer not-a-key"}).status_code == 401
        assert Caller(client, None).get(path).status_code == 401
