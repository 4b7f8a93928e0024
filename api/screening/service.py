"""The screening routes' work on `risk.screening`, and its refusals as problem documents. Every function
blocks on the database: the routes run them on a worker thread, outside the request's session (each
screening commits on its own)."""

import base64
import binascii
from typing import Final

from api.errors import ApiError, InvalidRequest, NotFound
from api.screening import schemas
from api.screening.runtime import ScreeningRuntime
from risk.screening import errors
from risk.screening.model import Decision, ItemKind, Screening, Standing, Trigger
from risk.screening.screenings import Screener
from risk.screening.sdn import ADD_FILE, ALT_FILE, COMMENTS_FILE, SDN_FILE


class ScreeningNotFound(NotFound, problem="screening-not-found", title="Screening not found"):
    """No screening has this id."""


class DecisionRefused(ApiError, status=409, problem="screening-decision-refused", title="Decision refused"):
    """Only an undecided potential match takes a decision (a clear screening, an exact match or one already
    decided does not)."""


class InvalidList(ApiError, status=422, problem="invalid-screening-list", title="Invalid sanctions list"):
    """The files are not a list in the OFAC SDN CSV format; `errors` names the file and `detail` the line."""


LIST_FIELDS: Final = {"sdn": SDN_FILE, "alt": ALT_FILE, "add": ADD_FILE, "comments": COMMENTS_FILE}


def problem(error: errors.ScreeningError) -> ApiError:
    named = [{"field": error.field, "message": error.detail}] if error.field else None
    kind: type[ApiError] = {
        errors.NotFound: ScreeningNotFound,
        errors.DecisionRefused: DecisionRefused,
        errors.InvalidListFile: InvalidList,
    }.get(type(error), InvalidRequest)
    return kind(error.detail, errors=named)


def view(screening: Screening) -> schemas.ScreeningOut:
    return schemas.ScreeningOut(
        id=screening.id,
        subject_id=screening.subject_id,
        kind=screening.kind.value,
        value=screening.value,
        list_version=screening.list_version,
        trigger=screening.trigger.value,
        outcome=screening.outcome.value,
        standing=screening.standing.value,
        hits=[schemas.HitOut(**hit.to_json()) for hit in screening.hits],
        created_at=screening.created_at,
        decision=None if screening.decision is None else screening.decision.value,
        reviewer=screening.reviewer,
        reason=screening.reason,
        decided_at=screening.decided_at,
    )


def screen(screener: Screener, subject_id: str, kind: ItemKind, value: str, trigger: Trigger) -> Screening:
    """One screening of `value`, its domain refusal (a malformed address or IBAN) as a 422 naming `value`."""
    method = {
        ItemKind.NAME: screener.screen_name,
        ItemKind.CHAIN_ADDRESS: screener.screen_chain_address,
        ItemKind.IBAN: screener.screen_iban,
    }[kind]
    try:
        return method(subject_id, value, trigger)
    except errors.InvalidIdentifier as error:
        field = "subject_id" if error.field == "subject_id" else "value"
        raise InvalidRequest(error.detail, errors=[{"field": field, "message": error.detail}]) from None


def screen_on_demand(runtime: ScreeningRuntime, body: schemas.ScreenIn, key_id: str) -> schemas.ScreeningOut:
    subject = body.subject_id or f"manual:{key_id}"
    return view(screen(runtime.screener(), subject, ItemKind(body.kind), body.value, Trigger.MANUAL))


def read(runtime: ScreeningRuntime, screening_id: str) -> schemas.ScreeningOut:
    try:
        return view(runtime.screener().get(screening_id))
    except errors.ScreeningError as error:
        raise problem(error) from None


def pending(runtime: ScreeningRuntime, limit: int) -> schemas.ScreeningList:
    return schemas.ScreeningList(data=[view(found) for found in runtime.screener().pending_review(limit)])


def subject(runtime: ScreeningRuntime, subject_id: str) -> schemas.SubjectOut:
    screener = runtime.screener()
    return schemas.SubjectOut(
        subject_id=subject_id,
        standing=screener.standing(subject_id).value,
        screenings=[view(found) for found in screener.latest(subject_id)],
    )


def decide(
    runtime: ScreeningRuntime, screening_id: str, body: schemas.DecisionIn, reviewer: str
) -> schemas.ScreeningOut:
    try:
        decided = runtime.screener().decide(
            screening_id, Decision(body.decision), reviewer=reviewer, reason=body.reason
        )
    except errors.ScreeningError as error:
        raise problem(error) from None
    return view(decided)


def current_list(runtime: ScreeningRuntime) -> schemas.ListOut:
    index = runtime.screener().index
    return schemas.ListOut(version=index.version, entries=index.entries)


def _decoded(body: schemas.ListFiles) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for field, name in LIST_FIELDS.items():
        text = getattr(body, field)
        if text is None:
            continue
        try:
            files[name] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            message = "not base64 (standard alphabet, padded)"
            raise InvalidRequest(
                f"{field}: {message}", errors=[{"field": field, "message": message}]
            ) from None
    return files


def replace_list(runtime: ScreeningRuntime, body: schemas.ListFiles) -> schemas.ListReplaced:
    files = _decoded(body)
    try:
        screener, rescreened = runtime.replace(files)
    except errors.InvalidListFile as error:
        field = next((key for key, name in LIST_FIELDS.items() if name == error.field), "sdn")
        raise InvalidList(error.detail, errors=[{"field": field, "message": error.detail}]) from None
    return schemas.ListReplaced(
        version=screener.index.version,
        entries=screener.index.entries,
        rescreened=len(rescreened),
        not_clear=[view(found) for found in rescreened if found.standing is not Standing.CLEAR],
    )
