"""A BridgeBatch sent with its messages: the node rebuilds the leaves and the tree (`custody.protocol.
bridge_messages`) and, before reading any chain (`custody.node.signing.batch_checks`), refuses a root or count
the messages do not make, messages sent with another intent or that make no batch, a batch for another
bridge than the domain's, and, where the policy requires the chains to be read, a batch it cannot read."""

import dataclasses
import secrets

import pytest

from chain.bridge.batch import ZERO_ROOT, Batch
from chain.bridge.message import Message, Route
from chain.intents import Anchor, BridgeBatch
from custody.node.signing.batch_checks import BatchChecks
from custody.policy.config import parse_policy
from custody.protocol.bridge_messages import BridgeMessageFields, BridgeMessages, check_bridge_messages
from custody.protocol.errors import BridgeBatchUnwitnessed, MalformedRequest
from custody.protocol.signing import IntentEnvelope, Round1Request
from tests.helpers.custody_nodes import TEST_KEY_ID, TEST_KEY_VERSION, request_id

L1_BRIDGE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
L2_BRIDGE = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
TOKEN = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
BRIDGED = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
ROUTE = Route(31337, 31338, L1_BRIDGE, L2_BRIDGE)
MESSAGES = [Message(ROUTE, nonce, TOKEN, BRIDGED, ALICE, ALICE, 1_000_000 * nonce) for nonce in (1, 2, 3)]
BATCH = Batch(ROUTE, MESSAGES)
HONEST = BATCH.intent(1, ZERO_ROOT)


def policy(require_chain_witness: bool) -> str:
    return (
        "version: 1\ndefault:\n  chains:\n    31338:\n      contracts:\n"
        f'        "{L2_BRIDGE}": [BridgeBatch]\n'
        "      bridge_batch:\n"
        "        routes: [{src_chain_id: 31337, dst_chain_id: 31338}]\n"
        "        velocity: {max_signatures: 10, window_seconds: 60}\n"
        f"        require_chain_witness: {str(require_chain_witness).lower()}\n"
    )


def round1(intent: BridgeBatch, messages: BridgeMessages | None, contract: str = L2_BRIDGE) -> Round1Request:
    return Round1Request(
        session_id=secrets.token_hex(16),
        key_id=TEST_KEY_ID,
        key_version=TEST_KEY_VERSION,
        request_id=request_id(),
        intent=IntentEnvelope.of(intent, 31338, contract),
        bridge_messages=messages,
    )


def evidence(messages: list[Message]) -> BridgeMessages:
    """The wire form, in reverse order (the tree sorts its leaves)."""
    return BridgeMessages.of(list(reversed(messages)))


def test_messages_that_make_the_root_and_count_make_the_batch() -> None:
    batch = check_bridge_messages(HONEST, evidence(MESSAGES), "policy")

    assert batch is not None
    assert batch.root == HONEST.root
    assert check_bridge_messages(HONEST, None, "policy") is None


def test_a_count_or_root_the_messages_do_not_make_is_refused() -> None:
    inflated = dataclasses.replace(MESSAGES[2], amount=10**24)
    other_root = Batch(ROUTE, [*MESSAGES[:2], inflated]).root
    cases = [
        (dataclasses.replace(HONEST, count=2), ["the batch's count is 2 but its messages make 3"]),
        (
            dataclasses.replace(HONEST, root=other_root),
            [f"the batch's root is 0x{other_root.hex()} but its messages make 0x{HONEST.root.hex()}"],
        ),
    ]
    for claim, reasons in cases:
        with pytest.raises(BridgeBatchUnwitnessed) as refused:
            check_bridge_messages(claim, evidence(MESSAGES), "policy")
        assert refused.value.reasons == reasons
        assert refused.value.extensions["policy_hash"] == "policy"


def test_messages_that_make_no_batch_or_go_with_another_intent_are_malformed() -> None:
    anchor = Anchor(kind=1, seq=1, root=HONEST.root, count=3, total=0, prev_root=ZERO_ROOT)
    twice = BridgeMessages(messages=[BridgeMessageFields.of(MESSAGES[0])] * 2)
    unchecksummed = BridgeMessages(
        messages=[BridgeMessageFields.of(MESSAGES[0]).model_copy(update={"sender": ALICE.lower()})]
    )

    with pytest.raises(MalformedRequest, match="with a Anchor intent"):
        check_bridge_messages(anchor, evidence(MESSAGES), "policy")
    with pytest.raises(MalformedRequest, match="each nonce once"):
        check_bridge_messages(HONEST, twice, "policy")
    with pytest.raises(MalformedRequest, match="sender must be a checksummed address"):
        check_bridge_messages(HONEST, unchecksummed, "policy")


def test_without_a_chain_witness_the_node_says_so_or_refuses_as_its_policy_says() -> None:
    lenient = BatchChecks(parse_policy(policy(False)), "lenient", None)
    strict = BatchChecks(parse_policy(policy(True)), "strict", None)

    assert lenient.check(round1(HONEST, evidence(MESSAGES)), HONEST) == {
        "bridge_witness": {"chains_read": False, "no_rpc_url_for": "any chain", "messages_checked": 3}
    }
    assert lenient.check(round1(HONEST, None), HONEST) == {
        "bridge_witness": {"chains_read": False, "messages_sent": False, "messages_checked": None}
    }
    for messages in (evidence(MESSAGES), None):
        with pytest.raises(
            BridgeBatchUnwitnessed, match="requires this node to check the batch on both chains"
        ):
            strict.check(round1(HONEST, messages), HONEST)


def test_a_batch_for_another_bridge_than_the_domains_is_refused() -> None:
    lenient = BatchChecks(parse_policy(policy(False)), "lenient", None)

    with pytest.raises(BridgeBatchUnwitnessed, match=f"not for the domain's {L1_BRIDGE} on chain 31338"):
        lenient.check(round1(HONEST, evidence(MESSAGES), contract=L1_BRIDGE), HONEST)
