"""The refusals before entry as RFC 9457 problems: each names the body's field (`errors`) and the limit it
hit (`limit`, `value` as decimal strings, `unit`). A limit of the order itself is a 422; a state of the
account or market that refuses every such order for now (a kill switch, a cool-down) a 409; a step-up a
428, the risk engine's refusal a 403."""

from api.errors import ApiError
from risk.pretrade.errors import PretradeRefused, StepUpRequired


class OrderOverLimit(ApiError, status=422, problem="order-limit", title="Order over a pre-trade limit"):
    """Over one of the market's limits: `code` says which (order-size, position-limit, price-band)."""


class OrderSize(OrderOverLimit, problem="order-size", title="Order too large"):
    """More lots, or more notional, than one order of the market may have."""


class PositionLimit(OrderOverLimit, problem="position-limit", title="Position limit"):
    """The account's net exposure in the market, open orders included, would pass its limit."""


class PriceBand(OrderOverLimit, problem="price-band", title="Price outside the band"):
    """The limit price is too far from the market's reference price."""


class LiquidationCooldown(
    ApiError, status=409, problem="liquidation-cooldown", title="Cooling down after a liquidation"
):
    """The account was liquidated in this market: only orders that reduce its position until `until`."""


class KillSwitchEngaged(ApiError, status=409, problem="kill-switch-engaged", title="Kill switch engaged"):
    """An operator stopped this market or this account: no new orders until the switch is released."""


class OrderRiskDenied(ApiError, status=403, problem="order-risk-denied", title="Refused by the risk engine"):
    """The risk engine denied this derivative position change (`decision` names its stored decision)."""


class StepUpProblem(ApiError, status=428, problem="step-up-required", title="Step-up required"):
    """A derivative order that raises the position's notional above the threshold: confirm the challenge
    (`challenge`, with one of `factors`), then send the order again with it."""


_BY_CODE: dict[str, type[ApiError]] = {
    "order-size": OrderSize,
    "position-limit": PositionLimit,
    "price-band": PriceBand,
    "liquidation-cooldown": LiquidationCooldown,
    "kill-switch-engaged": KillSwitchEngaged,
    "risk-denied": OrderRiskDenied,
}


def refused_problem(error: PretradeRefused) -> ApiError:
    return _BY_CODE[error.code](
        error.detail,
        errors=[{"field": error.field, "message": error.detail}],
        limit=str(error.limit),
        value=str(error.value),
        unit=error.unit,
        **error.extra,
    )


def step_up_problem(error: StepUpRequired) -> ApiError:
    return StepUpProblem(
        error.detail,
        errors=[{"field": "qty", "message": error.detail}],
        challenge=error.challenge,
        limit=str(error.limit),
        value=str(error.value),
        unit="quote_minor_units",
        factors=list(error.factors),
    )
