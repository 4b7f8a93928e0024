"""The decisions behind `/v1/risk/decisions`: reads of the stored decisions, and an operator's evaluation
(the engine's `decide` only: no window or counter moves, nothing is enforced; stored `enforced: false`)."""

from typing import Any

from sqlalchemy import Connection, Engine

from api.auth import ApiClient
from api.errors import InvalidRequest as ApiInvalidRequest
from api.errors import NotFound, ServiceUnavailable
from api.pagination import Listing, Page, key_part
from api.risk.schemas import DecisionOut, DecisionPage, EvaluationIn
from custody.problems import invalid_fields_detail
from payments.intents.guard.gate import RiskGate
from risk.decisions import DecisionRecord, get_decision, page_decisions, record_decision
from risk.engine import Assessment, Beneficiary, InvalidAssessment

DECISIONS = Listing("risk_decisions", (int, str))


class DecisionNotFound(NotFound, problem="risk-decision-not-found", title="Risk decision not found"):
    """No decision of this id."""


class RiskUnavailable(ServiceUnavailable, problem="risk-unavailable", title="Risk engine unavailable"):
    """The rule file did not load at start: no engine to ask."""


def invalid(field: str, message: str) -> ApiInvalidRequest:
    problems = [{"field": field, "message": message}]
    return ApiInvalidRequest(invalid_fields_detail(problems), errors=problems)


def decision_out(record: DecisionRecord) -> DecisionOut:
    values: dict[str, Any] = {
        name: getattr(record, name) for name in DecisionOut.model_fields if hasattr(record, name)
    }
    return DecisionOut.model_validate(values | {"created": record.created_at})


def get(engine: Engine, decision_id: str) -> DecisionOut:
    with engine.connect() as connection:
        record = get_decision(connection, decision_id)
    if record is None:
        raise DecisionNotFound(f"no risk decision {decision_id}")
    return decision_out(record)


def listing(
    engine: Engine, subject_id: str | None, reference: str | None, cursor: str | None, limit: int
) -> DecisionPage:
    """A page of decisions, newest first."""
    filters = {"subject_id": subject_id, "reference": reference}
    after = DECISIONS.decode(cursor, filters)
    position = None if after is None else (key_part(after, 0, int), key_part(after, 1, str))
    with engine.connect() as connection:
        found = page_decisions(
            connection, subject_id=subject_id, reference=reference, after=position, limit=limit + 1
        )
    page: Page[DecisionRecord] = DECISIONS.page(
        found, limit, lambda record: (record.created_at, record.id), cursor=cursor, filters=filters
    )
    return DecisionPage(
        data=[decision_out(record) for record in page.data],
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


def assessment_of(body: EvaluationIn, now: int) -> Assessment:
    beneficiary = (
        None
        if body.beneficiary is None
        else Beneficiary(
            body.beneficiary.kind, body.beneficiary.value, body.beneficiary.country, body.beneficiary.trusted
        )
    )
    try:
        return Assessment(
            subject=body.subject,
            kind=body.kind,
            amount=body.amount,
            currency=body.currency,
            at=now if body.at is None else body.at,
            customer_country=body.customer_country,
            kyc_tier=body.kyc_tier,
            account_age_days=body.account_age_days,
            mcc=body.mcc,
            beneficiary=beneficiary,
            device_id=body.device_id,
            device_new=body.device_new,
            device_verified=body.device_verified,
            ip=body.ip,
            sensitive_change=body.sensitive_change,
            payee_new=body.payee_new,
        )
    except InvalidAssessment as error:
        raise invalid(error.field or "body", error.detail) from error


def evaluate(
    connection: Connection, gate: RiskGate | None, client: ApiClient, body: EvaluationIn
) -> DecisionOut:
    """Decide on the facts with the rules in force and store the decision, not enforced."""
    if gate is None:
        raise RiskUnavailable("the risk engine is not running on this server (its rule file did not load)")
    now = gate.clock()
    asked = assessment_of(body, now)
    decision = gate.engine.decide(asked)
    record = record_decision(connection, asked, decision, now=now, actor=client.actor, enforced=False)
    return decision_out(record)
