"""The key-ceremony routes (DKG, refresh, repair) under ``/v1/keys``, for the coordinator only.

Thin: each validates its body, checks the caller is the coordinator and hands over to
`custody.node.ceremonies.service.KeyCeremonies`; refusals become problem documents (400 malformed, 403
wrong peer, 404 unknown key or session, 409 conflict, 422 aborted ceremony with its ``culprits``).

    POST /v1/keys/dkg/round1            start a DKG            -> signed round-1 broadcast
    POST /v1/keys/refresh/round1        start a refresh        -> signed round-1 broadcast
    POST /v1/keys/{dkg|refresh}/round2  all round-1 broadcasts -> shares sealed per recipient
    POST /v1/keys/{dkg|refresh}/round3  shares sealed to me    -> signed confirmation
    POST /v1/keys/{dkg|refresh}/confirm all confirmations      -> signed key statement (a DKG's key now
                                                                  active, a refresh's prepared)
    POST /v1/keys/refresh/commit        prepared refresh       -> signed key statement (new share active)
    POST /v1/keys/repair/round1         helper: start          -> signed context + sealed deltas
    POST /v1/keys/repair/round2         helper: broadcasts and deltas -> sigma sealed to the repaired node
    POST /v1/keys/repair/finish         repaired node: broadcasts and sigmas -> signed key statement
    POST /v1/keys/abort                 give up on a session   -> whether it was still open (or a
                                                                  prepared refresh, now rolled back)
    GET  /v1/keys/sessions/{session_id} signed account of a session's outcome (an abort names culprits)
    GET  /v1/keys/{key_id}              signed statement of the key's public side

The ceremony service is built on first use from the node's runtime, its identity record and its roster.
"""

import functools
import threading
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Request

from custody.node.ceremonies.repair import RepairRequest
from custody.node.ceremonies.service import KeyCeremonies
from custody.node.ceremonies.sharing import SharingRequest
from custody.node.http.deps import RuntimeDep
from custody.node.http.peer import CoordinatorPeer
from custody.node.records.identity import load_identity
from custody.node.refusals import refusals
from custody.protocol.ceremonies import (
    AbortAnswer,
    AbortBody,
    CommitBody,
    ConfirmBody,
    DkgRound1Body,
    RefreshRound1Body,
    RepairFinishBody,
    RepairRound1Answer,
    RepairRound1Body,
    RepairRound2Answer,
    RepairRound2Body,
    Round2Body,
    Round3Body,
    SealedShares,
)
from custody.protocol.errors import NodeNotEnrolled
from custody.protocol.ids import KeyId, SessionId
from custody.roster import Roster, RosterError

router = APIRouter(prefix="/v1/keys", tags=["keys"])

Sharing = Literal["dkg", "refresh"]
_Answer = TypeVar("_Answer")
_build_lock = threading.Lock()


def get_ceremonies(request: Request, runtime: RuntimeDep) -> KeyCeremonies:
    """The app's ceremony service, built once from the runtime, the identity record and the roster file."""
    with _build_lock:
        ceremonies: KeyCeremonies | None = getattr(request.app.state, "key_ceremonies", None)
        if ceremonies is None:
            try:
                roster = Roster.load(runtime.settings.roster_path)
                with refusals():
                    identity = load_identity(runtime.keystore)
                ceremonies = KeyCeremonies(
                    node_id=runtime.settings.node_id,
                    identity=identity,
                    roster=roster,
                    keystore=runtime.keystore,
                    audit=runtime.audit,
                    clock=runtime.clock,
                )
            except (RosterError, ValueError) as error:
                raise NodeNotEnrolled(f"this node cannot take part in key ceremonies: {error}") from None
            request.app.state.key_ceremonies = ceremonies
        return ceremonies


CeremoniesDep = Annotated[KeyCeremonies, Depends(get_ceremonies)]


@router.post("/dkg/round1")
def dkg_round1(
    body: DkgRound1Body, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer
) -> dict[str, Any]:
    """Open a DKG session: this node's signed commitment and proof of knowledge."""
    request = SharingRequest(body.session_id, body.key_id, body.participants, body.threshold)
    details = {"key_id": body.key_id, "threshold": body.threshold, "participants": body.participants}
    step = functools.partial(ceremonies.dkg.round1, request)
    return ceremonies.run(step, coordinator, "dkg.round1", body.session_id, details).to_json()


@router.post("/refresh/round1")
def refresh_round1(
    body: RefreshRound1Body, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer
) -> dict[str, Any]:
    """Open a refresh session: this node's signed commitment to a sharing of zero."""
    request = SharingRequest(body.session_id, body.key_id, body.participants, key_version=body.key_version)
    details = {"key_id": body.key_id, "key_version": body.key_version, "participants": body.participants}
    step = functools.partial(ceremonies.refresh.round1, request)
    return ceremonies.run(step, coordinator, "refresh.round1", body.session_id, details).to_json()


@router.post("/repair/round1", response_model=RepairRound1Answer)
def repair_round1(
    body: RepairRound1Body, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer
) -> RepairRound1Answer:
    """As a helper: the signed repair context and this helper's deltas sealed to the other helpers."""
    request = RepairRequest(body.session_id, body.key_id, body.helpers, body.participant, body.key_version)
    details = {
        "key_id": body.key_id,
        "key_version": body.key_version,
        "helpers": body.helpers,
        "participant": body.participant,
    }
    step = functools.partial(ceremonies.repair.round1, request)
    broadcast, deltas = ceremonies.run(step, coordinator, "repair.round1", body.session_id, details)
    return RepairRound1Answer(
        broadcast=broadcast.to_json(), deltas={helper: delta.to_json() for helper, delta in deltas.items()}
    )


@router.post("/repair/round2", response_model=RepairRound2Answer)
def repair_round2(
    body: RepairRound2Body, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer
) -> RepairRound2Answer:
    """As a helper: sum the deltas sealed to this helper into sigma, sealed to the repaired node."""
    step = functools.partial(ceremonies.repair.round2, body.session_id, body.round1, body.deltas)
    details = {"senders": sorted(body.deltas)}
    sigma = ceremonies.run(step, coordinator, "repair.round2", body.session_id, details)
    return RepairRound2Answer(sigma=sigma.to_json())


@router.post("/repair/finish")
def repair_finish(
    body: RepairFinishBody, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer
) -> dict[str, Any]:
    """As the repaired node: rebuild the share from the sigmas, check it against the key, store it."""
    request = RepairRequest(body.session_id, body.key_id, body.helpers, body.participant, body.key_version)
    details = {"key_id": body.key_id, "key_version": body.key_version, "helpers": body.helpers}
    step = functools.partial(ceremonies.repair.finish, request, body.round1, body.sigmas)
    return ceremonies.run(step, coordinator, "repair.finish", body.session_id, details).to_json()


def _sharing_step(
    ceremonies: KeyCeremonies,
    coordinator: str,
    step_name: str,
    stage: Callable[[str, Mapping[int, Any]], _Answer],
    session_id: str,
    messages: Mapping[int, Any],
    listed_as: str = "senders",
) -> _Answer:
    """`stage(session_id, messages)` run as ceremony step `step_name`, audited with the nodes the messages
    came from (under `listed_as`)."""
    step = functools.partial(stage, session_id, messages)
    return ceremonies.run(step, coordinator, step_name, session_id, {listed_as: sorted(messages)})


@router.post("/{ceremony}/round2", response_model=SealedShares)
def sharing_round2(
    ceremony: Sharing, body: Round2Body, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer
) -> SealedShares:
    """Check every round-1 broadcast and deal: one share per peer, sealed to it."""
    stage = ceremonies.sharing(ceremony).round2
    sealed = _sharing_step(ceremonies, coordinator, f"{ceremony}.round2", stage, body.session_id, body.round1)
    return SealedShares(sealed={recipient: message.to_json() for recipient, message in sealed.items()})


@router.post("/{ceremony}/round3")
def sharing_round3(
    ceremony: Sharing, body: Round3Body, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer
) -> dict[str, Any]:
    """Open and check the shares sealed to this node; the new key stays pending until confirmed."""
    stage = ceremonies.sharing(ceremony).round3
    return _sharing_step(
        ceremonies, coordinator, f"{ceremony}.round3", stage, body.session_id, body.round2
    ).to_json()


@router.post("/{ceremony}/confirm")
def sharing_confirm(
    ceremony: Sharing, body: ConfirmBody, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer
) -> dict[str, Any]:
    """Activate the pending key if every participant confirmed the same transcript."""
    stage = ceremonies.sharing(ceremony).confirm
    signed = _sharing_step(
        ceremonies,
        coordinator,
        f"{ceremony}.confirm",
        stage,
        body.session_id,
        body.confirmations,
        "confirmed_by",
    )
    return signed.to_json()


@router.post("/refresh/commit")
def refresh_commit(
    body: CommitBody, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer
) -> dict[str, Any]:
    """Make the share refresh `session_id` prepared the active one; the old share is gone (idempotent)."""
    step = functools.partial(ceremonies.commit, body.key_id, body.session_id, body.key_version)
    details = {"key_id": body.key_id, "key_version": body.key_version}
    return ceremonies.run(step, coordinator, "refresh.commit", body.session_id, details).to_json()


@router.post("/abort", response_model=AbortAnswer)
def abort(body: AbortBody, ceremonies: CeremoniesDep, coordinator: CoordinatorPeer) -> AbortAnswer:
    """Close a ceremony session the coordinator gave up on; its secret state is deleted."""
    aborted = ceremonies.run(
        lambda: ceremonies.abort(body.session_id), coordinator, "abort", body.session_id, {}
    )
    return AbortAnswer(session_id=body.session_id, aborted=aborted)


@router.get("/sessions/{session_id}")
def session_outcome(
    session_id: SessionId, ceremonies: CeremoniesDep, _coordinator: CoordinatorPeer
) -> dict[str, Any]:
    """This node's signed account of the session: its phase, and for an abort the culprits it names."""
    return ceremonies.outcome(session_id).to_json()


@router.get("/{key_id}")
def describe_key(key_id: KeyId, ceremonies: CeremoniesDep, _coordinator: CoordinatorPeer) -> dict[str, Any]:
    """This node's signed statement of the key's group key, threshold and verifying shares."""
    return ceremonies.describe(key_id).to_json()
