"""Every signer node witnesses a bridge batch on the chains before it signs (`custody.node.chain_witness`),
through the API and a real custody group on two real anvils: an honest batch is signed and the destination
accepts it; a root over a deposit never made (a forged deposit), a count, a seq taken already or a root
that the messages do not make are refused for good, with the nodes' reasons, and audited; a message not yet
deep enough keeps the request pending until it is."""

import dataclasses
import threading
from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient

from chain.bridge.batch import ZERO_ROOT, Batch
from chain.bridge.message import Message
from chain.dev_accounts import dev_accounts
from chain.intents import BridgeBatch
from custody.audit import AuditLog
from custody.protocol.bridge_messages import BridgeMessages
from payments.rails.custody_requests import SigningRefused, request_signature
from tests.helpers.bridge_pair import KEY_ID, USERS, WITNESS_CONFIRMATIONS, Bridges, mine
from tests.helpers.custody_nodes import CustodyGroup

pytestmark = [
    pytest.mark.devnet,
    # the witness does not depend on the database; the relay tests store bridge_messages on both
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

RELAYER = dev_accounts()[6]


def ask(client: TestClient, bridges: Bridges, intent: BridgeBatch, messages: Sequence[Message]) -> str:
    """Ask the custody group through the API to sign `intent` for the L2 bridge, sending `messages` with it:
    the answer as the relay sees it (the signature's text, or the refusal's)."""
    key = f"witness-test:{intent.seq}:{intent.root.hex()}:{intent.count}"
    try:
        signature = request_signature(
            client,
            KEY_ID,
            intent,
            31338,
            bridges.l2.address,
            key,
            bridge_messages=BridgeMessages.of(messages).model_dump(mode="json"),
            timeout_seconds=0,
        )
    except SigningRefused as refusal:
        return str(refusal)
    bridges.l2.attest(RELAYER, Batch(bridges.l2.inbound(), messages), intent.seq, intent.prev_root, signature)
    return "signed"


def deposits(bridges: Bridges, *amounts: int) -> list[Message]:
    for amount in amounts:
        bridges.deposit(dev_accounts()[USERS[0]], amount)
    return bridges.l1.sent()[-len(amounts) :]


def test_the_nodes_sign_an_honest_batch_and_refuse_what_the_chains_contradict(
    signer_client: TestClient, group: CustodyGroup, bridges: Bridges
) -> None:
    first, second, third = deposits(bridges, 1_000_000, 2_000_000, 3_000_000)
    mine(bridges.l1_node, WITNESS_CONFIRMATIONS)
    honest = Batch(bridges.l2.inbound(), [first, second])
    forged = dataclasses.replace(third, nonce=4, amount=10**24, recipient=dev_accounts()[9].address)
    next_batch = Batch(bridges.l2.inbound(), [third])
    after = next_batch.intent(2, honest.root)
    other_root = Batch(bridges.l2.inbound(), [dataclasses.replace(third, amount=1)]).root

    assert ask(signer_client, bridges, honest.intent(1, ZERO_ROOT), honest.messages) == "signed"
    assert bridges.l2.record(1).fingerprint != bytes(32)

    cases = {
        "forged deposit": (
            Batch(bridges.l2.inbound(), [third, forged]).intent(2, honest.root),
            [third, forged],
            f"message 4 was never sent by the source bridge {bridges.l1.address}",
        ),
        "count": (
            dataclasses.replace(after, count=2),
            [third],
            "the batch's count is 2 but its messages make 1",
        ),
        "seq": (next_batch.intent(1, ZERO_ROOT), [third], "seq 1 is already attested"),
        "root": (
            dataclasses.replace(after, root=other_root),
            [third],
            f"the batch's root is 0x{other_root.hex()} but its messages make 0x{next_batch.root.hex()}",
        ),
    }
    for case, (intent, messages, reason) in cases.items():
        answer = ask(signer_client, bridges, intent, messages)
        assert " is refused: " in answer, (case, answer)
        assert reason in answer, (case, answer)
    assert bridges.l2.record(2).fingerprint == bytes(32)

    # every node asked audits its own decision; which nodes a request reached is the coordinator's choice
    audit = [
        record
        for node in group.nodes.values()
        for record in AuditLog.open_file(node.data_dir / "audit.jsonl").records()
    ]
    signed = [r.details["bridge_witness"] for r in audit if r.action == "sign.round1"]
    refused = [r.details for r in audit if r.action == "sign.round1.refused"]
    assert {(w["chains_read"], w["messages_checked"]) for w in signed} == {(True, 2)}
    assert {details["problem"] for details in refused} == {"bridge-batch-unwitnessed"}
    assert len({details["digest"] for details in refused}) == len(cases)


def test_a_message_not_yet_deep_enough_waits_until_it_is(
    signer_client: TestClient, group: CustodyGroup, bridges: Bridges
) -> None:
    (message,) = deposits(bridges, 1_000_000)
    batch = Batch(bridges.l2.inbound(), [message])
    intent = batch.intent(1, ZERO_ROOT)

    answer = ask(signer_client, bridges, intent, batch.messages)

    assert " is pending: " in answer
    assert f"message {message.nonce} has 0 confirmations on the source chain" in answer
    mine(bridges.l1_node, WITNESS_CONFIRMATIONS)
    request_id = answer.split()[2]
    retried = signer_client.post(
        f"/v1/custody/sign-requests/{request_id}/attempts", headers={"Idempotency-Key": f"retry-{request_id}"}
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "signed"


def test_a_caller_retrying_a_pending_request_gets_it_signed_once_the_message_is_deep_enough(
    signer_client: TestClient, group: CustodyGroup, bridges: Bridges
) -> None:
    """The relay's way (`retry_pending_seconds`): it attempts the pending request again itself, each time
    under a new Idempotency-Key, until the nodes find the message deep enough and sign."""
    (message,) = deposits(bridges, 2_000_000)
    batch = Batch(bridges.l2.inbound(), [message])
    intent = batch.intent(1, ZERO_ROOT)
    miner = threading.Timer(1.5, mine, (bridges.l1_node, WITNESS_CONFIRMATIONS))
    miner.start()
    try:
        signature = request_signature(
            signer_client,
            KEY_ID,
            intent,
            31338,
            bridges.l2.address,
            f"retry-test:{intent.root.hex()}",
            bridge_messages=BridgeMessages.of(batch.messages).model_dump(mode="json"),
            timeout_seconds=60,
            retry_pending_seconds=0.5,
        )
    finally:
        miner.join()
    bridges.l2.attest(RELAYER, batch, 1, ZERO_ROOT, signature)
    assert bridges.l2.record(1).fingerprint != bytes(32)
