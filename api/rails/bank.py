"""The bank rail in the API: its registration (`app.state.payment_rails`) and `POST
/v1/rails/bank/events`, where the bank's signed pain.002 and camt.054 webhooks arrive.

The route takes no API key: the bank proves itself with `TPW-Signature` under the secret in
`bank_webhook_secret_path`, checked on the exact bytes received before any XML is parsed, with a 300 s
tolerance and the replay store (`payments.webhooks.replays`, scope `rail:bank`). A forged, stale or replayed
request is refused (400, naming the header) and changes nothing. The replay record commits in the same
transaction as the report's effects (`Payments.joining`), so a report whose handling fails can be delivered
again. A report about a step already ended answers 200 `already_applied`, so the bank stops retrying and the
money moved once.
"""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import SessionDep
from api.errors import ApiError, ServiceUnavailable, problem_doc
from api.periodic import every
from api.schemas import ApiModel
from api.screening.runtime import runtime_of as screening_runtime_of
from api.settings import ApiSettings
from payments.intents.context import Payments
from payments.intents.errors import PaymentError
from payments.intents.model import RailKind
from payments.rails.bank.accounts import checked_bic, checked_iban
from payments.rails.bank.client import BankConnection, BankRail
from payments.rails.bank.holds import HoldStatus
from payments.rails.bank.notifications import Handled, handle
from payments.rails.bank.pain001 import Party
from payments.rails.bank.xsd import InvalidMessage
from payments.webhooks.replays import SqlReplayStore
from payments.webhooks.signing import HEADER, SignatureError, verify
from risk.screening.screenings import Screener

log = logging.getLogger("api.rails.bank")
REPLAY_SCOPE: Final = "rail:bank"
MAX_NOTIFICATION_BYTES: Final = 256 * 1024


class BankRailUnavailable(ServiceUnavailable, problem="bank-rail-unavailable", title="Bank rail unavailable"):
    """No bank is configured on this server (`TPW_BANK_URL`)."""


class SignatureRefused(ApiError, status=400, problem="signature-refused", title="Signature refused"):
    """The request's `TPW-Signature` is missing, malformed, wrong, stale or replayed."""


class InvalidNotification(
    ApiError, status=422, problem="invalid-bank-notification", title="Invalid bank notification"
):
    """A signed body that is not a valid pain.002 or camt.054 about one of our payments or refunds."""


class NotificationOut(ApiModel):
    result: Handled
    """`applied`, `already_applied` (delivered before) or `ignored` (informational, or a replaced attempt)."""


@dataclass(frozen=True)
class BankNotifications:
    """What the route needs: the rail (its connection names our collection account) and the secret."""

    rail: BankRail
    secret: str = ""

    def __repr__(self) -> str:
        return f"BankNotifications(url={self.rail.connection.url!r})"


def bank_connection_from(settings: ApiSettings) -> BankConnection | None:
    """Our side of the bank the settings describe (its URL, our collection account, the mode), None without
    `bank_url`; a bad IBAN or BIC stops the start (`RuntimeError` naming the setting). The rail and the
    reconciliation's statement source both use it, so the bank is configured once."""
    if settings.bank_url is None:
        return None
    try:
        iban = checked_iban(settings.bank_collection_iban, "bank_collection_iban")
        bic = checked_bic(settings.bank_collection_bic, "bank_collection_bic")
    except PaymentError as error:
        raise RuntimeError(f"TPW_{(error.field or '').upper()}: {error.detail}") from None
    collection = Party(settings.bank_collection_name, iban.compact, str(bic))
    return BankConnection(settings.bank_url, collection, livemode=settings.bank_livemode)


def bank_rail_from(
    settings: ApiSettings, screener: Callable[[], Screener] | None = None
) -> BankNotifications | None:
    """The bank rail the settings describe, None without `bank_url`; a bad IBAN, BIC or secret file stops
    the start (`RuntimeError` naming the setting). With `screener`, every refund's IBAN is screened before
    it is sent (a hit holds the refund)."""
    connection = bank_connection_from(settings)
    if connection is None:
        return None
    path = settings.bank_webhook_secret_path
    if path is None or not path.is_file() or not path.read_text().strip():
        raise RuntimeError("TPW_BANK_WEBHOOK_SECRET_PATH must name a file holding the bank's webhook secret")
    return BankNotifications(BankRail(connection, screener=screener), path.read_text().strip())


@asynccontextmanager
async def bank_rail_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Register the bank rail for the app's life, beside the other rails, its refunds screened by the API's
    screening runtime (on the list in use at each refund; no usable list is a 503, never an unscreened
    refund), and re-screen the held ones every `bank_held_refund_interval_seconds`, sending those cleared."""
    bank = bank_rail_from(app.state.settings, lambda: screening_runtime_of(app.state).screener())
    app.state.bank_notifications = bank
    if bank is not None:
        rails = dict(getattr(app.state, "payment_rails", {}))
        rails[RailKind.BANK] = bank.rail
        app.state.payment_rails = rails
        log.info("bank rail ready", extra={"bank_url": bank.rail.connection.url})
    interval = app.state.settings.bank_held_refund_interval_seconds if bank is not None else 0
    rail = None if bank is None else bank.rail
    try:
        async with every("held bank refunds released", interval, lambda: _release(rail), log):
            yield
    finally:
        if bank is not None:
            bank.rail.close()


def _release(rail: BankRail | None) -> int:
    """One round of the held bank refunds (`BankRail.release_held_refunds`): how many were sent."""
    if rail is None:
        return 0
    released = rail.release_held_refunds()
    return sum(1 for status in released.values() if status is HoldStatus.SENT)


router = APIRouter(prefix="/v1/rails/bank", tags=["payments"], lifespan=bank_rail_lifespan)

RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: problem_doc("The TPW-Signature header is missing, malformed, wrong, stale or replayed."),
    422: problem_doc(
        "The body is not a valid pain.002 or camt.054 (at most 256 KiB) about one of our payments or refunds."
    ),
    503: problem_doc("No bank is configured on this server."),
}


def _apply(request: Request, session: Session, bank: BankNotifications, body: bytes) -> NotificationOut:
    try:
        verify(
            request.headers.get(HEADER), body, [bank.secret], replays=SqlReplayStore(session, REPLAY_SCOPE)
        )
    except SignatureError as error:
        session.rollback()
        raise SignatureRefused(str(error), errors=[{"field": HEADER, "message": str(error)}]) from error
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    payments = Payments(engine, getattr(request.app.state, "payment_rails", {})).joining(session.connection)
    try:
        handled = handle(payments, bank.rail.connection, body)
    except (InvalidMessage, PaymentError) as error:
        session.rollback()
        detail = getattr(error, "detail", str(error))
        raise InvalidNotification(detail, errors=[{"field": "body", "message": detail}]) from error
    session.commit()
    log.info("bank notification %s", handled)
    return NotificationOut(result=handled)


@router.post(
    "/events",
    response_model=NotificationOut,
    responses=RESPONSES,
    summary="Receive the bank's signed pain.002 or camt.054 (the bank calls this, not merchants)",
)
async def bank_notification(request: Request, session: SessionDep) -> NotificationOut:
    bank: BankNotifications | None = getattr(request.app.state, "bank_notifications", None)
    if bank is None:
        raise BankRailUnavailable("no bank is configured on this server: TPW_BANK_URL is unset")
    body = await request.body()
    if len(body) > MAX_NOTIFICATION_BYTES:
        raise InvalidNotification(
            "the body is larger than 256 KiB", errors=[{"field": "body", "message": "too large"}]
        )
    return await run_in_threadpool(_apply, request, session, bank, body)
