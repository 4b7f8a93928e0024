"""`/v1/devices` (a customer's own bound devices) and `/v1/subjects/{subject_id}/devices` (the support desk's
read and revoke). Thin routes over `api.devices.service`.

Every route acts for the signed-in customer (`api.subject.customer_subject`: a session access token) and
sees only that customer's devices: another customer's device answers 404 as if it did not exist. The
support desk reads and revokes a subject's devices through `subject_router` instead. Registration
is two steps: ask for a challenge, then register the key with the device's signature over it. Every POST
needs an Idempotency-Key (scoped to the customer). The protocol: docs/risk.md, "Devices".
"""

from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import ClockDep, OperatorSubject, SessionDep, SettingsDep, SubjectDep, SubjectIdempotency
from api.devices import service
from api.devices.schemas import (
    DEVICE_ID_PATTERN,
    ChallengeOut,
    DeviceList,
    DeviceOut,
    DeviceRegister,
    DeviceRename,
)
from api.errors import problem_doc
from api.idempotency.progress import Progress
from api.idempotency.route import idempotent_posts
from api.signed_requests import devices_lifespan

router = APIRouter(prefix="/v1/devices", tags=["devices"], lifespan=devices_lifespan)

AUTH: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc("No session access token, or an invalid, expired or revoked one."),
    422: problem_doc("The request is invalid; `errors` names each bad field (or header)."),
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: problem_doc("The subject has no device of this id (another subject's device is not found either).")
}
_post = idempotent_posts(router, AUTH, HTTPStatus.CREATED)

DeviceIdPath = Annotated[str, Path(pattern=DEVICE_ID_PATTERN, description="The device's id (`dev_...`).")]

subject_router = APIRouter(prefix="/v1/subjects/{subject_id}/devices", tags=["devices"])
"""The support desk's path to a subject's devices: an operator's API key with `devices:admin` lists, reads
and revokes the devices of the subject named in the path (a customer who lost a phone calls support). It
cannot register one: a binding proves possession of a key through the customer's own session."""
OPERATOR: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The subject id or device id is malformed; `errors` names it."),
}


@_post("/challenges", ChallengeOut, "Ask for a registration challenge (single use, short-lived)")
async def create_challenge(
    subject: SubjectDep,
    idempotency: SubjectIdempotency,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    """The device signs the registration string over it with the key it registers."""
    ttl = settings.device_challenge_ttl_seconds

    async def work(progress: Progress) -> ChallengeOut:
        record = progress.finish(lambda view: view)
        return await run_in_threadpool(
            service.issue_challenge, session, subject.subject_id, ttl, clock(), record
        )

    return await idempotency.run(work, body=None, status_code=HTTPStatus.CREATED)


@_post(
    "",
    DeviceOut,
    "Register a device: its public key and its signature over a challenge",
    {
        409: problem_doc(
            "The key is bound to a device already, the subject has 20 active devices, or the "
            "Idempotency-Key was used for another request."
        ),
        422: problem_doc(
            "Invalid, or the proof of possession failed (`device-registration-refused`: the challenge is "
            "not open for this subject, or the signature does not verify); `errors` names the field."
        ),
    },
)
async def register_device(
    body: DeviceRegister,
    subject: SubjectDep,
    idempotency: SubjectIdempotency,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """P-256 (ECDSA SHA-256, raw r||s) or Ed25519 keys only; the challenge is spent."""

    async def work(progress: Progress) -> DeviceOut:
        record = progress.finish(lambda view: view)
        return await run_in_threadpool(
            service.register_device, session, subject.subject_id, body, clock(), record
        )

    return await idempotency.run(work, body=body, status_code=HTTPStatus.CREATED)


@router.get("", summary="List the subject's devices, revoked ones included", responses=AUTH)
def list_devices(subject: SubjectDep, session: SessionDep) -> DeviceList:
    """Oldest first."""
    return service.list_devices(session, subject.subject_id)


@router.get("/{device_id}", summary="Read a device", responses={**AUTH, **NOT_FOUND})
def read_device(device_id: DeviceIdPath, subject: SubjectDep, session: SessionDep) -> DeviceOut:
    """One of the customer's devices."""
    return service.read_device(session, subject.subject_id, device_id)


@router.patch("/{device_id}", summary="Rename a device", responses={**AUTH, **NOT_FOUND})
def rename_device(
    device_id: DeviceIdPath, body: DeviceRename, subject: SubjectDep, session: SessionDep
) -> DeviceOut:
    """A revoked device may be renamed too."""
    return service.rename_device(session, subject.subject_id, device_id, body.name)


@router.delete("/{device_id}", summary="Revoke a device", responses={**AUTH, **NOT_FOUND})
def revoke_device(
    device_id: DeviceIdPath, subject: SubjectDep, session: SessionDep, clock: ClockDep
) -> DeviceOut:
    """From now on its signatures are refused; it stays listed as revoked. Revoking
    it again changes nothing."""
    return service.revoke_device(session, subject, device_id, clock())


@subject_router.get("", summary="List a subject's devices (operator)", responses=OPERATOR)
def list_subject_devices(subject: OperatorSubject, session: SessionDep) -> DeviceList:
    """Scope `devices:admin`. Oldest first, revoked ones included."""
    return service.list_devices(session, subject.subject_id)


@subject_router.get(
    "/{device_id}", summary="Read a subject's device (operator)", responses={**OPERATOR, **NOT_FOUND}
)
def read_subject_device(device_id: DeviceIdPath, subject: OperatorSubject, session: SessionDep) -> DeviceOut:
    """Scope `devices:admin`."""
    return service.read_device(session, subject.subject_id, device_id)


@subject_router.delete(
    "/{device_id}", summary="Revoke a subject's device (operator)", responses={**OPERATOR, **NOT_FOUND}
)
def revoke_subject_device(
    device_id: DeviceIdPath,
    subject: OperatorSubject,
    session: SessionDep,
    clock: ClockDep,
) -> DeviceOut:
    """Scope `devices:admin`. Its signatures are refused from now on; the revocation is audited naming
    the operator's key."""
    return service.revoke_device(session, subject, device_id, clock())
