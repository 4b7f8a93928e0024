"""The signing rounds' request bodies for the tests' key, as a coordinator builds them: tests that drive node
rounds by hand (replays, swapped intents, crashes mid-session) name only what they vary.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from custody.protocol.signing import Commitment, IntentEnvelope, Round1Request, Round1Response, Round2Request
from tests.helpers.custody_nodes import TEST_KEY_ID, TEST_KEY_VERSION


def round1_request(session: str, request: str, intent: IntentEnvelope, **fields: Any) -> Round1Request:
    """Round one of `session` for request `request` and `intent`, under the test key and its version unless
    `fields` name others (or add approvals, anchor leaves, a state statement)."""
    return Round1Request(
        **{
            "session_id": session,
            "key_id": TEST_KEY_ID,
            "key_version": TEST_KEY_VERSION,
            "request_id": request,
            "intent": intent,
            **fields,
        }
    )


def round2_request(
    session: str,
    request: str,
    intent: IntentEnvelope,
    commitments: Mapping[int, Commitment],
    **fields: Any,
) -> Round2Request:
    """Round two of `session` over every signer's `commitments`, under the test key and its version unless
    `fields` name others."""
    return Round2Request(
        **{
            "session_id": session,
            "key_id": TEST_KEY_ID,
            "key_version": TEST_KEY_VERSION,
            "request_id": request,
            "intent": intent,
            "commitments": dict(commitments),
            **fields,
        }
    )


def commitments_of(answers: Iterable[Round1Response]) -> dict[int, Commitment]:
    """The signers' commitments, by identifier, out of their round-one answers."""
    return {answer.identifier: Commitment(hiding=answer.hiding, binding=answer.binding) for answer in answers}
