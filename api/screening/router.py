"""`/v1/screening`: sanctions screening for operators. Thin routes over `api.screening.service`.

Screen a name (fuzzy), a chain address or an IBAN (exact) on demand (`screening:review`); read a
screening, a subject's standing and the queue of potential matches waiting for a reviewer
(`screening:read`); decide a potential match (`screening:review`, the key recorded as reviewer); read and
replace the list (`screening:admin`), which re-screens every known subject. Customers' sessions and
merchants' keys have none of these scopes. The same screenings run by themselves on KYC onboarding,
merchant onboarding and every payout (docs/risk.md, "Sanctions screening").
"""

from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, ScreeningAdmin, ScreeningDep, ScreeningReader, ScreeningReviewer
from api.errors import problem_doc
from api.idempotency.route import idempotent_posts
from api.screening import schemas, service
from api.screening.schemas import SCREENING_ID_PATTERN, SUBJECT_PATTERN

router = APIRouter(prefix="/v1/screening", tags=["screening"])

AUTH: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field."),
    503: problem_doc("No usable sanctions list at the server's screening_list_dir."),
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {404: problem_doc("No screening has this id.")}
_post = idempotent_posts(router, AUTH)

ScreeningIdPath = Annotated[str, Path(pattern=SCREENING_ID_PATTERN, description="A screening's id.")]


@_post("/screenings", schemas.ScreeningOut, "Screen a name, chain address or IBAN now", status_code=201)
async def screen(
    body: schemas.ScreenIn, client: ScreeningReviewer, runtime: ScreeningDep, idempotency: IdempotencyDep
) -> Response:
    """Scope `screening:review`. A name scoring at or above the threshold against a listed name or alias is
    a `potential_match` for a reviewer; a listed address or IBAN is a `match`."""
    return await idempotency.run(
        lambda _: run_in_threadpool(service.screen_on_demand, runtime, body, client.key_id),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.get("/screenings/{screening_id}", summary="Read a screening", responses={**AUTH, **NOT_FOUND})
async def read_screening(
    screening_id: ScreeningIdPath, _: ScreeningReader, runtime: ScreeningDep
) -> schemas.ScreeningOut:
    """Scope `screening:read`."""
    return await run_in_threadpool(service.read, runtime, screening_id)


@router.get("/reviews", summary="Potential matches waiting for a reviewer, oldest first", responses=AUTH)
async def pending_reviews(
    _: ScreeningReader,
    runtime: ScreeningDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> schemas.ScreeningList:
    """Scope `screening:read`."""
    return await run_in_threadpool(service.pending, runtime, limit)


@router.get("/subjects/{subject_id}", summary="A subject's screening standing", responses=AUTH)
async def subject_standing(
    subject_id: Annotated[str, Path(pattern=SUBJECT_PATTERN)], _: ScreeningReader, runtime: ScreeningDep
) -> schemas.SubjectOut:
    """Scope `screening:read`. `blocked` over `pending_review` over `clear`."""
    return await run_in_threadpool(service.subject, runtime, subject_id)


@_post(
    "/screenings/{screening_id}/decision",
    schemas.ScreeningOut,
    "Decide a potential match: confirmed (the subject is blocked) or false_positive (cleared)",
    {**NOT_FOUND, 409: problem_doc("Not an undecided potential match, or the Idempotency-Key was reused.")},
)
async def decide(
    screening_id: ScreeningIdPath,
    body: schemas.DecisionIn,
    client: ScreeningReviewer,
    runtime: ScreeningDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Scope `screening:review`. The calling key is recorded as the reviewer, with the reason and time; a
    decision is carried over to later screenings hitting the same listed entries."""
    reviewer = f"key:{client.key_id}"
    return await idempotency.run(
        lambda _: run_in_threadpool(service.decide, runtime, screening_id, body, reviewer),
        body=body,
        status_code=HTTPStatus.OK,
    )


@router.get("/list", summary="The sanctions list in use", responses=AUTH)
async def read_list(_: ScreeningReader, runtime: ScreeningDep) -> schemas.ListOut:
    """Scope `screening:read`."""
    return await run_in_threadpool(service.current_list, runtime)


@router.put(
    "/list",
    summary="Replace the sanctions list and re-screen every known subject",
    responses={**AUTH, 422: problem_doc("Not base64, or not a list in the OFAC SDN CSV format.")},
)
async def replace_list(
    body: schemas.ListFiles, _: ScreeningAdmin, runtime: ScreeningDep
) -> schemas.ListReplaced:
    """Scope `screening:admin`. The files in OFAC's own SDN CSV layout (the real download works), base64.
    Idempotent by nature: the same files are the same version, and nothing is re-screened twice."""
    return await run_in_threadpool(service.replace_list, runtime, body)
