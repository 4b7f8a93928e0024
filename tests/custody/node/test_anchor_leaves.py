"""An Anchor sent with its batch's leaves: the node rebuilds the tree and signs only the root, count and total
the leaves make (in process for every case, and once through the coordinator over real node processes)."""

import asyncio
import hashlib
import secrets
from typing import Any

import pytest

from chain.intents import Anchor, BridgeBatch
from chain.merkle import MerkleSumTree, MerkleTree
from custody.audit import AuditLog
from custody.coordinator.errors import SigningFailed
from custody.frost import verify_signature
from custody.protocol.anchor_leaves import AnchorLeaves, SumLeaf, check_anchor_leaves
from custody.protocol.errors import MalformedRequest
from custody.protocol.signing import IntentEnvelope, Round1Request
from tests.custody.node.conftest import LocalNode
from tests.helpers.custody_nodes import (
    TEST_CHAIN_ID,
    TEST_CONTRACT,
    TEST_KEY_ID,
    TEST_KEY_VERSION,
    CustodyGroup,
    request_id,
)

TRADES = [hashlib.sha256(f"trade {n}".encode()).digest() for n in range(5)]
BALANCES = [(hashlib.sha256(f"holder {n}".encode()).digest(), 1_000 * (n + 1)) for n in range(4)]


def anchor(root: bytes, count: int, total: int = 0, kind: int = 1) -> IntentEnvelope:
    seq = secrets.randbelow(1 << 40) + 1
    intent = Anchor(kind=kind, seq=seq, root=root, count=count, total=total, prev_root=bytes(32))
    return IntentEnvelope.of(intent, TEST_CHAIN_ID, TEST_CONTRACT)


def plain_leaves(leaves: list[bytes]) -> AnchorLeaves:
    return AnchorLeaves(tree="plain", leaves=["0x" + leaf.hex() for leaf in reversed(leaves)])


def sum_leaves(balances: list[tuple[bytes, int]]) -> AnchorLeaves:
    return AnchorLeaves(
        tree="sum", balances=[SumLeaf(account="0x" + a.hex(), amount=str(n)) for a, n in balances]
    )


def round1(node: LocalNode, intent: IntentEnvelope, leaves: AnchorLeaves | None) -> Any:
    body = Round1Request(
        session_id=secrets.token_hex(16),
        key_id=TEST_KEY_ID,
        key_version=TEST_KEY_VERSION,
        request_id=request_id(),
        intent=intent,
        anchor_leaves=leaves,
    )
    return node.client.post("/v1/sign/round1", json=body.model_dump(mode="json"))


def test_leaves_that_make_the_anchored_tree_are_accepted(local_nodes: dict[int, LocalNode]) -> None:
    tree = MerkleTree(TRADES)
    reserves = MerkleSumTree(BALANCES)

    plain = round1(local_nodes[1], anchor(tree.root, len(TRADES)), plain_leaves(TRADES))
    summed = round1(
        local_nodes[1],
        anchor(reserves.root.hash, len(BALANCES), reserves.total, kind=2),
        sum_leaves(BALANCES),
    )

    assert plain.status_code == 200, plain.text
    assert summed.status_code == 200, summed.text
    log = AuditLog.open_file(local_nodes[1].runtime.settings.audit_path)
    checked = [r.details.get("anchor_leaves_checked") for r in log.records() if r.action == "sign.round1"]
    assert checked[-2:] == [5, 4]


@pytest.mark.parametrize(
    ("claim", "leaves", "wrong"),
    [
        (lambda: anchor(MerkleTree(TRADES[:4]).root, 5), plain_leaves(TRADES), "root"),
        (lambda: anchor(MerkleTree(TRADES).root, 4), plain_leaves(TRADES), "count"),
        (lambda: anchor(MerkleTree(TRADES).root, 5, total=7), plain_leaves(TRADES), "total"),
        (
            lambda: anchor(MerkleSumTree(BALANCES).root.hash, 4, total=10_001, kind=2),
            sum_leaves(BALANCES),
            "total",
        ),
    ],
)
def test_an_anchor_its_leaves_do_not_make_is_refused_before_any_nonce(
    local_nodes: dict[int, LocalNode], claim: Any, leaves: AnchorLeaves, wrong: str
) -> None:
    response = round1(local_nodes[2], claim(), leaves)

    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith("anchor-leaves-mismatch")
    assert any(reason.startswith(f"the anchor's {wrong} ") for reason in response.json()["reasons"])
    log = AuditLog.open_file(local_nodes[2].runtime.settings.audit_path)
    assert list(log.records())[-1].action == "sign.round1.refused"
    assert local_nodes[2].runtime.sessions.nonce_holders() == []


def test_leaves_with_another_intent_or_mixed_shapes_are_malformed(local_nodes: dict[int, LocalNode]) -> None:
    tree = MerkleTree(TRADES)
    mixed = AnchorLeaves(
        tree="plain", leaves=["0x" + TRADES[0].hex()], balances=sum_leaves(BALANCES).balances
    )

    assert round1(local_nodes[1], anchor(tree.root, 5), mixed).status_code == 400
    empty = round1(local_nodes[1], anchor(tree.root, 5), AnchorLeaves(tree="plain"))
    assert empty.status_code == 400, empty.text
    batch = BridgeBatch(
        src_chain_id=1,
        dst_chain_id=2,
        src_bridge=TEST_CONTRACT,
        dst_bridge=TEST_CONTRACT,
        seq=1,
        root=tree.root,
        count=5,
        prev_root=bytes(32),
    )
    with pytest.raises(MalformedRequest, match="sent with a BridgeBatch intent"):
        check_anchor_leaves(batch, plain_leaves(TRADES), "policy")


def test_the_coordinator_sends_the_leaves_and_the_group_signs_only_a_matching_anchor(
    running_group: CustodyGroup,
) -> None:
    tree = MerkleTree(TRADES)
    good, forged = anchor(tree.root, len(TRADES)), anchor(MerkleTree(TRADES[:2]).root, len(TRADES))

    async def scenario() -> None:
        async with running_group.coordinator() as coordinator:
            signature = await coordinator.sign(
                TEST_KEY_ID, request_id(), good, anchor_leaves=plain_leaves(TRADES)
            )
            _, public = running_group.keys[TEST_KEY_ID]
            assert verify_signature(public.group_public_key, good.decode()[1], signature)
            with pytest.raises(SigningFailed) as failure:
                await coordinator.sign(TEST_KEY_ID, request_id(), forged, anchor_leaves=plain_leaves(TRADES))
            assert {f.problem_type.rsplit(":", 1)[1] for f in failure.value.failures.values()} == {
                "anchor-leaves-mismatch"
            }

    asyncio.run(scenario())
