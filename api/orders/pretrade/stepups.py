"""`/v1/risk/step-ups/{challenge}/approve`: the risk desk confirms a derivative order's step-up challenge
(`risk.pretrade.stepup.approve`): the confirmation, its audit record and the Idempotency-Key's stored
answer commit in one transaction, so a retry answers as the first time and never approves twice."""

from sqlalchemy.orm import Session

from api.auth import ApiClient
from api.errors import NotFound
from api.idempotency.progress import Progress
from api.orders.pretrade.schemas import StepUpOut
from risk.pretrade.stepup import approve


class StepUpNotPending(NotFound, problem="step-up-not-found", title="No such step-up"):
    """No pending, unexpired step-up challenge has this id (never issued, expired, or already approved)."""


def approve_step_up(
    session: Session, client: ApiClient, challenge: str, reason: str, now: int, progress: Progress
) -> StepUpOut:
    found = approve(session.connection(), challenge, actor=client.actor, reason=reason, now=now)
    if found is None:
        session.rollback()
        raise StepUpNotPending(f"no pending step-up challenge {challenge}")
    result = StepUpOut(
        id=found.id,
        market=found.market,
        side="buy" if found.direction > 0 else "sell",
        lots=found.lots,
        price_ticks=found.price,
        notional=str(found.notional),
        status="confirmed",
        expires_at=found.expires_at,
    )
    progress.finish(lambda _: result)(None)
    session.commit()
    return result
