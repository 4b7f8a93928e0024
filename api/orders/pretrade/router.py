"""`/v1/risk/kill-switches`: the operators' kill switches per market and per account, and the start of the
pre-trade gate every `/v1/orders` POST passes (`api.orders.pretrade.runtime`).

Engaging (`POST`, `risk:admin`, Idempotency-Key) stops new orders of the market or the merchant's account
(both modes: `kill-switch-engaged`, 409) and cancels what rests there, funds released; releasing
(`DELETE /v1/risk/kill-switches/{kind}/{target}`, `risk:admin`) lets orders in again. Both are chained on
the risk audit log. `GET` lists the engaged switches (`risk:admin` or `risk:read`). A merchant's key never
holds these scopes: a merchant cannot stop a market, nor lift a switch on its own account.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, RiskAdmin, RiskSwitchReader, SessionDep
from api.errors import problem_doc
from api.idempotency.route import idempotent_post
from api.orders.pretrade import killswitches
from api.orders.pretrade.runtime import build_pretrade
from api.orders.pretrade.schemas import (
    KillSwitchCreate,
    KillSwitches,
    KillSwitchOut,
    StepUpApproval,
    StepUpOut,
    SwitchKindText,
)
from api.orders.pretrade.stepups import approve_step_up
from api.risk.runtime import risk_clock


@asynccontextmanager
async def pretrade_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the limits file and build the gate (after the risk engine, whose step-up it asks)."""
    app.state.pretrade_gate = build_pretrade(app.state)
    yield


router = APIRouter(tags=["risk"], lifespan=pretrade_lifespan)

RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid (an unknown market or merchant); `errors` names the field."),
}


@idempotent_post(
    router,
    "/v1/risk/kill-switches",
    KillSwitchOut,
    "Engage a kill switch on a market or an account",
    RESPONSES,
    HTTPStatus.CREATED,
)
async def engage_kill_switch(
    request: Request,
    body: KillSwitchCreate,
    client: RiskAdmin,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `risk:admin`. New orders of the market or account are refused from now on, and its resting
    orders are canceled (`canceled_orders`); engaging an engaged switch changes nothing."""
    now = risk_clock(request.app.state)()
    markets = request.app.state.spot_markets
    return await idempotency.run(
        lambda progress: run_in_threadpool(
            killswitches.engage, markets, session, client, body, now, progress
        ),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.get("/v1/risk/kill-switches", summary="The engaged kill switches", responses=RESPONSES)
async def list_kill_switches(_: RiskSwitchReader, session: SessionDep) -> KillSwitches:
    """Scope `risk:admin` or `risk:read`. Markets first, then accounts, by target."""
    return await run_in_threadpool(killswitches.listing, session)


@router.delete(
    "/v1/risk/kill-switches/{kind}/{target}",
    summary="Release a kill switch",
    responses={**RESPONSES, 404: problem_doc("No such switch is engaged.")},
)
async def release_kill_switch(
    request: Request,
    kind: SwitchKindText,
    target: Annotated[str, Path(min_length=1, max_length=64)],
    client: RiskAdmin,
    session: SessionDep,
) -> KillSwitchOut:
    """Scope `risk:admin`. Orders of the market or account are taken again (nothing canceled comes back)."""
    now = risk_clock(request.app.state)()
    return await run_in_threadpool(killswitches.release, session, client, kind, target, now)


@idempotent_post(
    router,
    "/v1/risk/step-ups/{challenge}/approve",
    StepUpOut,
    "Approve a derivative order's step-up",
    {**RESPONSES, 404: problem_doc("No pending, unexpired step-up challenge has this id.")},
    HTTPStatus.OK,
)
async def approve_step_up_route(
    request: Request,
    challenge: Annotated[str, Path(pattern=r"^psu_[0-9a-f]{24}$")],
    body: StepUpApproval,
    client: RiskAdmin,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `risk:admin`. The challenge a `step-up-required` answer named is confirmed (audited, with the
    approver and the reason): the same order sent again with `step_up` set to it goes through, once, before
    `expires_at`. A retry with the same Idempotency-Key answers as the first time; approving again under
    another key, or an expired or spent challenge, is a 404 and changes nothing."""
    now = risk_clock(request.app.state)()
    return await idempotency.run(
        lambda progress: run_in_threadpool(
            approve_step_up, session, client, challenge, body.reason, now, progress
        ),
        body=body,
        status_code=HTTPStatus.OK,
    )
