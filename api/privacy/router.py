"""`/v1/privacy`: thin routes over `api.privacy.service`.

A customer exports or erases themself with their session (`Authorization: Bearer tpwat_…`): the subject is
the session's, never a parameter, so nobody reaches another customer's data this way. An operator's key with
`privacy:admin` does the same on a customer's behalf (a request received by post or by the support desk) and
reads the suppressed analytics report. Erasure needs no Idempotency-Key: it is idempotent by its subject (a
second request answers the first record), and an export changes nothing but its own record.
"""

import datetime
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, FastAPI, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import CustomerSession, PrivacyAdmin, SettingsDep
from api.errors import problem_doc
from api.privacy import service
from api.privacy.retention import retaining
from api.privacy.schemas import ContactIn, ContactOut, ErasureOut, ErasureRequest, Export, ReportOut
from api.settings import ApiSettings
from risk.devices.canonical import SUBJECT_ID_PATTERN


@asynccontextmanager
async def privacy_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the retention job while the app serves, if `TPW_PRIVACY_RETENTION_INTERVAL_SECONDS` says so."""
    settings: ApiSettings = app.state.settings
    async with retaining(app.state.engine, settings.privacy_retention_interval_seconds):
        yield


router = APIRouter(prefix="/v1/privacy", tags=["privacy"], lifespan=privacy_lifespan)

SESSION: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc("No valid session access token (`session-refused`).")
}
CONFIRM: Final[dict[int | str, dict[str, Any]]] = {
    403: problem_doc("The subject has a factor and it was not proved (`erasure-not-confirmed`, naming it)."),
    422: problem_doc("The body is invalid; `errors` names the field."),
}
SubjectPath = Annotated[
    str, Path(pattern=f"^{SUBJECT_ID_PATTERN.pattern}$", description="The subject (`idn_…`).")
]


@router.get("/export", responses=SESSION, summary="Everything held about me")
async def export_mine(request: Request, principal: CustomerSession, settings: SettingsDep) -> Export:
    """The session's subject's data as JSON (screening records withheld, and said to be); recorded."""
    return await run_in_threadpool(
        service.export, request.app.state.engine, settings, principal.subject_id, "self"
    )


@router.get("/details", responses=SESSION, summary="My contact details")
async def my_details(request: Request, principal: CustomerSession) -> ContactOut:
    """What I told you about myself (kept apart from every payment record, under my subject id only)."""
    return await run_in_threadpool(service.contact, request.app.state.engine, principal.subject_id, None)


@router.put(
    "/details",
    responses={**SESSION, 422: problem_doc("The body is invalid; `errors` names the field.")},
    summary="Set or correct my contact details",
)
async def put_my_details(request: Request, principal: CustomerSession, body: ContactIn) -> ContactOut:
    """Replace my contact details whole (GDPR art. 16); a field left out is cleared. Repeating it changes
    nothing more."""
    return await run_in_threadpool(service.contact, request.app.state.engine, principal.subject_id, body)


@router.post("/erasure", responses={**SESSION, **CONFIRM}, summary="Erase my personal data")
async def erase_mine(
    request: Request, principal: CustomerSession, settings: SettingsDep, body: ErasureRequest
) -> ErasureOut:
    """Erase what the law does not require kept, confirmed by one of my factors if I have one; the session
    itself is erased with the rest. Again: the first erasure's record."""
    return await run_in_threadpool(
        service.erase, request.app.state.engine, settings, principal.subject_id, "self", body
    )


@router.get("/subjects/{subject_id}/export", responses=KEY_RESPONSES, summary="A customer's data")
async def export_subject(
    request: Request, client: PrivacyAdmin, settings: SettingsDep, subject_id: SubjectPath
) -> Export:
    """Scope `privacy:admin`: a customer's export on their behalf; recorded with the key's id."""
    return await run_in_threadpool(
        service.export, request.app.state.engine, settings, subject_id, f"key:{client.key_id}"
    )


@router.post("/subjects/{subject_id}/erasure", responses=KEY_RESPONSES, summary="Erase a customer")
async def erase_subject(
    request: Request, client: PrivacyAdmin, settings: SettingsDep, subject_id: SubjectPath
) -> ErasureOut:
    """Scope `privacy:admin`: a customer's erasure on their behalf (their request verified out of band)."""
    return await run_in_threadpool(
        service.erase, request.app.state.engine, settings, subject_id, f"key:{client.key_id}", None
    )


@router.get(
    "/analytics/report",
    responses={**KEY_RESPONSES, 503: problem_doc("The analytics key is unavailable.")},
    summary="Analytics per day, suppressed",
)
async def analytics_report(
    request: Request,
    client: PrivacyAdmin,
    settings: SettingsDep,
    since: Annotated[datetime.date, Query(description="First day (UTC), YYYY-MM-DD.")],
    until: Annotated[datetime.date, Query(description="Last day (UTC), inclusive.")],
    dimension: Literal["country", "mcc", "kind"] = "country",
    kind: Annotated[Literal["login", "payment", "decision"] | None, Query()] = None,
    currency: Annotated[str | None, Query(pattern="^[A-Za-z]{3,8}$")] = None,
) -> ReportOut:
    """Scope `privacy:admin`. Events (and, with `currency`, amounts) per day and `dimension`, cells of fewer
    than k distinct subjects suppressed, and enough others that no total gives one away."""
    return await run_in_threadpool(
        service.report, request.app.state.engine, settings, dimension, since, until, kind, currency
    )
