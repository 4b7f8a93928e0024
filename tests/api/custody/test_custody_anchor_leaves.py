"""An Anchor sign request that carries its batch's leaves: every signer node rebuilds the tree and signs
only the root, count and total the leaves make (`custody.node.anchor_leaves`), through the API and the same
real 3-node group as `tests/api/custody/test_custody.py` (`conftest.py`'s fixtures).

The leaves are stored with the request, so a later attempt (after a refusal, or a node that was down) sends
them again: a client cannot get the claim signed without them by retrying. A BridgeBatch's messages, the other
evidence a request may carry, are validated the same way (what the nodes do with them is
`tests/api/bridge/test_witness_devnet.py`'s).
"""

import itertools
from typing import Any

from chain.intents import Anchor
from chain.merkle import MerkleTree, leaf_hash
from tests.helpers.custody_api import ANCHOR, SQLITE_ONLY, Api, assert_verifies, custody_transfer, typed

_seq = itertools.count(1)
TRADES = [leaf_hash(["uint256", "uint256"], [trade_id, 100 * trade_id]) for trade_id in range(1, 6)]


def anchor(tree: MerkleTree, *, root: bytes | None = None, count: int | None = None) -> dict[str, Any]:
    """An Anchor intent claiming `tree` (or another root or count, to test a lie)."""
    claim = Anchor(
        kind=1,
        seq=next(_seq),
        root=tree.root if root is None else root,
        count=len(tree) if count is None else count,
        total=0,
        prev_root=bytes(32),
    )
    return typed(claim, ANCHOR)


def leaves(hashes: list[bytes]) -> dict[str, Any]:
    return {"tree": "plain", "leaves": ["0x" + leaf.hex() for leaf in hashes]}


def sign(api: Api, key: dict[str, Any], intent: dict[str, Any], batch: dict[str, Any] | None) -> Any:
    body: dict[str, Any] = {"key_id": key["key_id"], "intent": intent}
    if batch is not None:
        body["anchor_leaves"] = batch
    return api.post("/sign-requests", body)


@SQLITE_ONLY
def test_an_anchor_that_matches_its_leaves_is_signed(api: Api, key: dict[str, Any]) -> None:
    tree = MerkleTree(TRADES)
    response = sign(api, key, anchor(tree), leaves(list(reversed(TRADES))))  # the order does not matter
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "signed"
    assert_verifies(key, response.json())


@SQLITE_ONLY
def test_an_anchor_whose_root_or_count_is_not_its_leaves_is_refused_on_every_attempt(
    api: Api, key: dict[str, Any]
) -> None:
    tree = MerkleTree(TRADES)
    for lie in (anchor(tree, root=MerkleTree(TRADES[:4]).root), anchor(tree, count=len(TRADES) + 1)):
        refused = sign(api, key, lie, leaves(TRADES))
        assert refused.status_code == 201, refused.text
        body = refused.json()
        assert (body["status"], body["signature"]) == ("refused", None)
        assert any("anchor" in reason for reason in body["reasons"]), body["reasons"]
        again = api.post(f"/sign-requests/{body['id']}/attempts")  # the stored leaves go with the retry
        assert again.json()["status"] == "refused", again.text


@SQLITE_ONLY
def test_leaves_with_another_intent_or_malformed_are_422_naming_the_field(
    api: Api, key: dict[str, Any]
) -> None:
    tree = MerkleTree(TRADES)
    transfer = custody_transfer(5)
    for intent, batch in (
        (transfer, leaves(TRADES)),
        (anchor(tree), {"tree": "plain", "leaves": ["0x1234"]}),
        (anchor(tree), {"tree": "forest", "leaves": []}),
    ):
        response = sign(api, key, intent, batch)
        assert response.status_code == 422, response.text
        fields = [error["field"] for error in response.json()["errors"]]
        assert any(field.startswith("anchor_leaves") for field in fields), fields


@SQLITE_ONLY
def test_bridge_messages_with_another_intent_or_malformed_are_422_naming_the_field(api: Api) -> None:
    """A BridgeBatch's messages (the nodes' witness evidence, `custody.protocol.bridge_messages`) are checked
    as the leaves are, before any key is looked up or any node asked."""
    message = {
        "nonce": 1,
        "src_token": ANCHOR,
        "dst_token": ANCHOR,
        "sender": ANCHOR,
        "recipient": ANCHOR,
        "amount": "1000000",
    }
    for intent, messages in (
        (anchor(MerkleTree(TRADES)), {"messages": [message]}),
        (custody_transfer(5), {"messages": []}),
        (custody_transfer(5), {"messages": [{**message, "nonce": 0}]}),
        (custody_transfer(5), {"messages": [{**message, "amount": "1.5"}]}),
    ):
        body = {"key_id": "treasury", "intent": intent, "bridge_messages": messages}
        response = api.post("/sign-requests", body)
        assert response.status_code == 422, response.text
        fields = [error["field"] for error in response.json()["errors"]]
        assert any(field.startswith("bridge_messages") for field in fields), fields
