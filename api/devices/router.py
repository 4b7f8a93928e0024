"""`/v1/devices`: a subject's bound devices. Thin routes over `api.devices.service`.

Every route acts for one subject (`api.subject`: for now an operator's key with `devices:admin`
naming it in `TPW-Subject-Id`) and sees only that subject's devices: another subject's device answers 404 as
if it did not exist. Registration is two steps: ask for a challenge, then register the key with the
device's signature over it. Every POST needs an Idempotency-Key. The protocol: docs/risk.md, "Devices".
"""

from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import SessionDep, SettingsDep, SubjectDep, SubjectIdempotency
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
from risk.devices.verifier import system_clock

router = APIRouter(prefix="/v1/devices", tags=["devices"], lifespan=devices_lifespan)

AUTH: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field (or header)."),
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: problem_doc("The subject has no device of this id (another subject's device is not found either).")
}
_post = idempotent_posts(router, AUTH, HTTPStatus.CREATED)

DeviceIdPath = Annotated[str, Path(pattern=DEVICE_ID_PATTERN, description="The device's id (`dev_...`).")]


@_post("/challenges", ChallengeOut, "Ask for a registration challenge (single use, short-lived)")
async def create_challenge(
    subject: SubjectDep, idempotency: SubjectIdempotency, session: SessionDep, settings: SettingsDep
) -> Response:
    """Scope `devices:admin`. The device signs the registration string over it with the key it registers."""
    ttl = settings.device_challenge_ttl_seconds

    async def work(progress: Progress) -> ChallengeOut:
        record = progress.finish(lambda view: view)
        return await run_in_threadpool(
            service.issue_challenge, session, subject.subject_id, ttl, system_clock(), record
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
    body: DeviceRegister, subject: SubjectDep, idempotency: SubjectIdempotency, session: SessionDep
) -> Response:
    """Scope `devices:admin`. P-256 (ECDSA SHA-256, raw r||s) or Ed25519 keys only; the challenge is spent."""

    async def work(progress: Progress) -> DeviceOut:
        record = progress.finish(lambda view: view)
        return await run_in_threadpool(
            service.register_device, session, subject.subject_id, body, system_clock(), record
        )

    return await idempotency.run(work, body=body, status_code=HTTPStatus.CREATED)


@router.get("", summary="List the subject's devices, revoked ones included", responses=AUTH)
def list_devices(subject: SubjectDep, session: SessionDep) -> DeviceList:
    """Scope `devices:admin`. Oldest first."""
    return service.list_devices(session, subject.subject_id)


@router.get("/{device_id}", summary="Read a device", responses={**AUTH, **NOT_FOUND})
def read_device(device_id: DeviceIdPath, subject: SubjectDep, session: SessionDep) -> DeviceOut:
    """Scope `devices:admin`."""
    return service.read_device(session, subject.subject_id, device_id)


@router.patch("/{device_id}", summary="Rename a device", responses={**AUTH, **NOT_FOUND})
def rename_device(
    device_id: DeviceIdPath, body: DeviceRename, subject: SubjectDep, session: SessionDep
) -> DeviceOut:
    """Scope `devices:admin`."""
    return service.rename_device(session, subject.subject_id, device_id, body.name)


@router.delete("/{device_id}", summary="Revoke a device", responses={**AUTH, **NOT_FOUND})
def revoke_device(device_id: DeviceIdPath, subject: SubjectDep, session: SessionDep) -> DeviceOut:
    """Scope `devices:admin`. From now on its signatures are refused; it stays listed as revoked. Revoking
    it again changes nothing."""
    return service.revoke_device(session, subject.subject_id, device_id, system_clock())
