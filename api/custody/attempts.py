"""One signing attempt of a stored sign request, with every approval stored, and its outcome recorded.

Attempts of one request run one at a time (`CustodyRuntime.attempt_lock`), so an approval arriving while an
attempt runs waits and then tries again with every approval stored, instead of racing it. Whatever the nodes
answer is stored (`api.custody.outcomes`) and audited; the coordinator's view of the nodes' states is saved
first, so a crash cannot lose a newer one.
"""

import asyncio
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session

from api.auth import ApiClient
from api.custody import outcomes, store
from api.custody.errors import CustodyConflict
from api.custody.runtime import CustodyRuntime
from api.custody.schemas import SignRequestOut
from api.custody.views import sign_request_view
from api.idempotency.progress import Progress
from custody.coordinator.errors import SigningFailed
from custody.frost import PublicKeyPackage
from custody.policy.approvals import OperatorApproval
from custody.protocol.anchor_leaves import AnchorLeaves
from custody.protocol.bridge_messages import BridgeMessages
from custody.protocol.signing import IntentEnvelope

ATTEMPT_WAIT_SECONDS = 60.0
"""How long an attempt waits for another attempt of the same request (each is bounded by the node timeouts,
a few seconds a round), far inside the idempotency lease (`TPW_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS`, 300)."""


async def attempt(
    runtime: CustodyRuntime, session: Session, client: ApiClient, request_id: str, progress: Progress
) -> SignRequestOut:
    """One signing attempt with every approval stored, recorded whatever the nodes answer. Waiting for
    another attempt of the same request is bounded (`ATTEMPT_WAIT_SECONDS`, well inside the idempotency
    lease), so queued attempts answer 409 rather than outlive their claim."""
    lock = runtime.attempt_lock(request_id)
    try:
        async with asyncio.timeout(ATTEMPT_WAIT_SECONDS):
            await lock.acquire()
    except TimeoutError:
        raise CustodyConflict(
            f"another signing attempt of sign request {request_id} is still running; retry later"
        ) from None
    try:
        row = await store.transaction(store.load_request, session, request_id)
        if row.status == "signed":  # an attempt that held the lock before this one signed it
            return sign_request_view(row)
        key = await store.transaction(store.load_key, session, row.key_id)
        package = PublicKeyPackage.from_bytes(key.public_key_package)
        runtime.public_keys[row.key_id] = package
        approvals = [
            OperatorApproval.from_json({"operator": stored.operator, "signature": stored.signature})
            for stored in row.approvals
        ]
        try:
            signature = await runtime.signing.sign(
                row.key_id,
                request_id,
                IntentEnvelope.model_validate(row.intent),
                approvals,
                anchor_leaves=None
                if row.anchor_leaves is None
                else AnchorLeaves.model_validate(row.anchor_leaves),
                bridge_messages=None
                if row.bridge_messages is None
                else BridgeMessages.model_validate(row.bridge_messages),
            )
        except SigningFailed as failure:
            outcome = outcomes.failed(failure, len(package.verifying_shares))
        else:
            outcome = outcomes.signed(signature)
        finally:
            await to_thread.run_sync(
                runtime.save_states
            )  # before anything else: a crash must not lose a newer one
        row = await store.transaction(
            store.record_outcome, session, request_id, outcome, progress.finish(sign_request_view)
        )
    finally:
        lock.release()
    details: dict[str, Any] = {"attempt": row.attempts, "reasons": outcome.reasons, "nodes": outcome.nodes}
    if row.signature is not None:
        details["signature"] = row.signature
    await runtime.record(client.actor, f"sign-request.{outcome.status}", request_id, details)
    return sign_request_view(row)
