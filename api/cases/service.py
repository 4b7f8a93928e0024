"""The cases behind `/v1/cases`: the domain's calls (`risk.cases`) on the request's session, their refusals
as problem documents.

Deciding a case commits the decision first (a recovery point of the request's Idempotency-Key), then tells
the subject's owner (`risk.cases.Resolutions`: a payment intent resumes at its rail or fails), then stores
the answer. If the owner fails (its rail down), the decision stands and a retry with the same key tells the
owner again (the handlers are idempotent); a decision the other way is refused.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from api.auth import ApiClient
from api.cases.schemas import CaseCreate, CaseDecisionIn, CaseOut, CasePage
from api.errors import ApiError, NotFound
from api.idempotency.progress import Progress
from api.pagination import Listing, Page, key_part
from api.payment_intents.service import PaymentIntentNotFound, domain_call
from api.risk.service import invalid
from chain.files import canonical_json
from risk.audit import append
from risk.cases import (
    Case,
    CaseConflict,
    CaseError,
    CaseNotFound,
    CaseStatus,
    Resolutions,
    SubjectKind,
    case_report,
    claim,
    get_case,
    open_case,
    page_cases,
    resolve,
)

CASES = Listing("cases", (int, str))
DECIDED: Final = "decided"


class CaseMissing(NotFound, problem="case-not-found", title="Case not found"):
    """No case of this id."""


class CaseBusy(ApiError, status=409, problem="case-conflict", title="Case conflict"):
    """The case's status does not allow this (`case_status` names it): decided the other way already, or
    held by another operator."""


@contextmanager
def _answered() -> Iterator[None]:
    try:
        yield
    except CaseNotFound as error:
        raise CaseMissing(error.detail) from error
    except CaseConflict as error:
        raise CaseBusy(error.detail, case_status=error.status) from error
    except CaseError as error:
        raise invalid(error.field or "body", error.detail) from error


def case_out(case: Case) -> CaseOut:
    return CaseOut.model_validate(
        {name: getattr(case, name) for name in CaseOut.model_fields if name != "object"}
    )


def get(engine: Engine, case_id: str) -> CaseOut:
    with _answered(), engine.connect() as connection:
        return case_out(get_case(connection, case_id))


def listing(
    engine: Engine,
    status: CaseStatus | None,
    subject_kind: SubjectKind | None,
    subject_id: str | None,
    cursor: str | None,
    limit: int,
) -> CasePage:
    """A page of the queue, oldest first."""
    filters = {"status": status, "subject_kind": subject_kind, "subject_id": subject_id}
    after = CASES.decode(cursor, filters)
    position = None if after is None else (key_part(after, 0, int), key_part(after, 1, str))
    with engine.connect() as connection:
        found = page_cases(
            connection,
            status=status,
            subject_kind=subject_kind,
            subject_id=subject_id,
            after=position,
            limit=limit + 1,
        )
    page: Page[Case] = CASES.page(
        found, limit, lambda case: (case.opened_at, case.id), cursor=cursor, filters=filters
    )
    return CasePage(
        data=[case_out(case) for case in page.data], has_more=page.has_more, next_cursor=page.next_cursor
    )


def create(connection: Connection, client: ApiClient, body: CaseCreate, now: int) -> CaseOut:
    reasons = [reason.model_dump() for reason in body.reasons]
    with _answered():
        case = open_case(
            connection,
            body.subject_kind,
            body.subject_id,
            reasons,
            body.decision_id,
            opened_by=client.actor,
            now=now,
        )
    return case_out(case)


def take(connection: Connection, client: ApiClient, case_id: str, now: int) -> CaseOut:
    with _answered():
        return case_out(claim(connection, case_id, client.actor, now))


def decide(
    session: Session,
    progress: Progress,
    resolutions: Resolutions,
    client: ApiClient,
    case_id: str,
    body: CaseDecisionIn,
    *,
    approve: bool,
    now: int,
) -> CaseOut:
    """Decide the case (committed), tell its subject's owner, answer the case as it ends."""
    with _answered():
        if not progress.resumed:
            try:
                resolve(
                    session.connection(),
                    case_id,
                    approve=approve,
                    operator=client.actor,
                    note=body.note,
                    now=now,
                )
                progress.advance(DECIDED)(None)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        case = get_case(session.connection(), case_id)
        session.rollback()  # the read's transaction ends: the owner's steps write on their own
    domain_call(PaymentIntentNotFound, lambda: resolutions.dispatch(case))
    result = case_out(case)
    progress.respond(result)
    return result


def report(connection: Connection, client: ApiClient, case_id: str, now: int) -> dict[str, Any]:
    """The case's compliance report; its export is itself recorded on the audit log (with its digest)."""
    with _answered():
        document = case_report(connection, case_id)
    append(
        connection,
        actor=client.actor,
        action="risk.case.report",
        subject=case_id,
        details={"sha256": hashlib.sha256(canonical_json(document)).hexdigest()},
        now=now,
    )
    return document
