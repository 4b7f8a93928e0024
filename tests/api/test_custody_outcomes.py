"""How the API sorts a failed signing attempt into `pending` or `refused` (`api.custody.outcomes`).

The reasons here are worded as `custody.policy.engine` words them (`test_custody.py` holds the markers to
what real nodes answer); this module checks the counting: a request is refused only when so many holders
refuse it for good that fewer than the threshold remain.
"""

from api.custody.outcomes import SUSPECT, failed, is_curable
from custody.coordinator.errors import NodeFailure, SigningFailed
from custody.protocol.errors import BridgeBatchUnwitnessed, PolicyRefused

POLICY = PolicyRefused.problem_type()
APPROVALS = "amount 5000 is above the approval threshold 1000: 1 of 2 required operator approvals (alice)"
TIME_LOCK = (
    "amount 500 is above the time-lock threshold 100: the request was first seen 0 s ago; the 2 s delay has "
    "not passed (2 s to go)"
)
LIMIT = "amount 10001 of token 0x5FbD... exceeds the per-transaction limit 10000"


def refused(*reasons: str) -> NodeFailure:
    return NodeFailure("refused", "403 policy-refused", POLICY, reasons)


def down() -> NodeFailure:
    return NodeFailure("unavailable", "no answer within 5 s")


def test_approval_and_time_lock_reasons_are_curable_and_others_are_not():
    assert is_curable(APPROVALS)
    assert is_curable(TIME_LOCK)
    assert not is_curable(LIMIT)


def test_curable_refusals_leave_the_request_pending_with_each_reason_once():
    outcome = failed(SigningFailed("k", 2, {1: refused(APPROVALS), 2: refused(APPROVALS), 3: down()}), 3)
    assert outcome.status == "pending"
    assert outcome.reasons == [APPROVALS, "node 3 unavailable: no answer within 5 s"]
    assert outcome.nodes["3"]["kind"] == "unavailable"


def test_a_refusal_for_good_by_too_many_holders_is_refused():
    outcome = failed(
        SigningFailed("k", 2, {1: refused(LIMIT, APPROVALS), 2: refused(LIMIT), 3: refused(LIMIT)}), 3
    )
    assert outcome.status == "refused"
    assert outcome.reasons == [LIMIT, APPROVALS]


def test_one_holder_refusing_for_good_still_leaves_enough_others():
    """Node 1's policy is stricter; nodes 2 and 3 only wait for approvals, and they are a threshold."""
    outcome = failed(
        SigningFailed("k", 2, {1: refused(LIMIT), 2: refused(APPROVALS), 3: refused(APPROVALS)}), 3
    )
    assert outcome.status == "pending"
    assert outcome.reasons == [LIMIT, APPROVALS]


def test_non_policy_refusals_are_pending_and_named_by_node():
    lost_share = NodeFailure("refused", "404 unknown-key: no share", "urn:tpwallet:custody:unknown-key")
    outcome = failed(SigningFailed("k", 2, {1: lost_share, 2: lost_share}), 3)
    assert outcome.status == "pending"
    assert outcome.reasons == [
        "node 1 refused: 404 unknown-key: no share",
        "node 2 refused: 404 unknown-key: no share",
    ]


def test_suspects_left_out_are_named():
    outcome = failed(SigningFailed("k", 2, {2: down()}, suspects=[3]), 3)
    assert outcome.status == "pending"
    assert outcome.nodes["3"]["kind"] == SUSPECT
    assert any(reason.startswith("node 3 is left out as a suspect") for reason in outcome.reasons)


def test_a_bridge_batch_the_witness_contradicts_is_refused_unless_only_its_depth_is_short():
    """Worded as `custody.node.chain_witness` words them (`tests/api/bridge/test_witness_devnet.py` holds them
    to what real nodes answer): a message not yet deep enough is cured by time, a forged one never."""
    unwitnessed = BridgeBatchUnwitnessed.problem_type()
    shallow = "message 3 has 1 confirmations on the source chain, the policy 2"
    forged = "message 4 was never sent by the source bridge 0x5FbDB2315678afecb367f032d93F642f64180aa3"

    def witness(*reasons: str) -> NodeFailure:
        return NodeFailure("refused", "403 bridge-batch-unwitnessed", unwitnessed, reasons)

    waiting = failed(SigningFailed("k", 2, {n: witness(shallow) for n in (1, 2, 3)}), 3)
    contradicted = failed(SigningFailed("k", 2, {n: witness(shallow, forged) for n in (1, 2, 3)}), 3)

    assert (waiting.status, waiting.reasons) == ("pending", [shallow])
    assert (contradicted.status, contradicted.reasons) == ("refused", [shallow, forged])
