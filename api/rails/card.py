"""The card rail in the API: its client registered from the settings, and `POST /v1/rails/card/events`,
where the card processor reports finished 3-D Secure challenges and disputes.

The events route takes no API key: the processor signs each event with `TPW-Signature` under the secret in
`card_webhook_secret_path` (`payments.webhooks.signing.verify`, 300 s tolerance, a replay store in the
database). The accepted signature is committed before the event is applied, so a replay of it is refused
even while its first delivery runs; the processor signs each retry afresh, so a retry is never a replay.
An event the intent cannot take yet (a dispute racing the capture's commit) answers 409 and is delivered
again later; one applied already answers 200 again.
"""

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from api.deps import SessionDep, SettingsDep, payments_of
from api.errors import ApiError, ServiceUnavailable, problem_doc
from api.payment_intents.service import UnexpectedState
from api.schemas import ApiModel
from api.settings import ApiSettings
from payments.intents import errors
from payments.intents.context import Payments
from payments.intents.model import RailKind
from payments.rails.card import events
from payments.rails.card.client import CardProcessorClient
from payments.rails.card.rail import CardRail
from payments.webhooks.replays import SqlReplayStore
from payments.webhooks.signing import HEADER, SignatureError, verify

log = logging.getLogger("api.rails.card")
REPLAY_SCOPE: Final = "rail:card"


class CardRailUnavailable(ServiceUnavailable, problem="card-rail-unavailable", title="Card rail unavailable"):
    """No card processor is configured on this server, or its webhook secret file is missing."""


class EventRefused(ApiError, status=400, problem="event-signature-refused", title="Event refused"):
    """The event's `TPW-Signature` is missing, malformed, wrong, stale or replayed."""


class EventInvalid(ApiError, status=422, problem="event-invalid", title="Event invalid"):
    """The signed event does not say what the card rail reports."""


def card_processor_client(settings: ApiSettings) -> CardProcessorClient | None:
    """A client of the processor the settings name (None without `card_processor_url`): the rail's, and
    the reconciliation's reader of its settlement files, so the processor is configured once."""
    if settings.card_processor_url is None:
        return None
    return CardProcessorClient.from_file(
        settings.card_processor_url,
        settings.card_processor_credential_path,
        settings.card_processor_timeout_seconds,
    )


@asynccontextmanager
async def card_rail_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Register the card rail (`app.state.payment_rails`) and its client (`app.state.card_processor`) when
    the settings name a processor; close its connections at shutdown."""
    settings: ApiSettings = app.state.settings
    client = card_processor_client(settings)
    if client is not None:
        rails = dict(getattr(app.state, "payment_rails", {}))
        rails[RailKind.CARD] = CardRail(client)
        app.state.payment_rails = rails
    app.state.card_processor = client
    try:
        yield
    finally:
        if client is not None:
            client.close()


router = APIRouter(tags=["payments"], lifespan=card_rail_lifespan)


class EventAnswer(ApiModel):
    received: bool
    result: str
    """`applied`, `duplicate` (reported before) or `ignored` (a type the rail does not act on)."""


def _secret(settings: ApiSettings) -> str:
    path = settings.card_webhook_secret_path
    if not path.exists():
        raise CardRailUnavailable(
            "this server has no card webhook secret: no file at card_webhook_secret_path"
        )
    return path.read_text().strip()


def _apply(payments: Payments, event: dict[str, Any]) -> str:
    try:
        return events.handle(payments, event)
    except errors.UnexpectedState as error:
        raise UnexpectedState(error.detail, intent_status=error.status) from error
    except (errors.NotFound, errors.InvalidRequest, errors.InvalidAmount) as error:
        raise EventInvalid(error.detail) from error


@router.post(
    "/v1/rails/card/events",
    summary="Receive a card processor event",
    responses={
        400: problem_doc("The signature is missing, malformed, wrong, stale or replayed."),
        409: problem_doc("The payment intent cannot take the event yet; the processor delivers it again."),
        422: problem_doc("The signed event does not say what the card rail reports."),
        503: problem_doc("No card webhook secret is configured."),
    },
)
async def card_event(request: Request, session: SessionDep, settings: SettingsDep) -> EventAnswer:
    """No API key: the processor's `TPW-Signature` authenticates the event. 3-D Secure results resume their
    payment intent; disputes are opened on theirs."""
    body = await request.body()
    secret = _secret(settings)

    def check() -> None:
        try:
            verify(request.headers.get(HEADER), body, [secret], replays=SqlReplayStore(session, REPLAY_SCOPE))
        except SignatureError as error:
            session.rollback()
            raise EventRefused(str(error)) from None
        session.commit()

    await run_in_threadpool(check)
    try:
        event = json.loads(body)
    except ValueError:
        raise EventInvalid("the event is not JSON") from None
    if not isinstance(event, dict):
        raise EventInvalid("the event is not a JSON object")
    result = await run_in_threadpool(_apply, payments_of(request, session), event)
    log.info("card event %s: %s", str(event.get("type"))[:64], result)
    return EventAnswer(received=True, result=result)
