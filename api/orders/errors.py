"""The problems of `/v1/orders`, and the one place the spot market's refusals become them."""

from api.errors import ApiError, InvalidRequest, NotFound, ServiceUnavailable
from api.ledger.errors import InsufficientFunds, invalid_fields_detail
from matching.engine import Reject
from matching.markets import MarketSpecError
from matching.options_market.errors import NoIndexPrice, SeriesClosed
from matching.perp_market.errors import MarginRefused
from matching.spot.errors import AmendNeedsFunds, MarketBusy, MarketHalted, SpotError, UnsupportedOrder


class OrderNotFound(NotFound, problem="order-not-found", title="Order not found"):
    """No order of this id is the caller's (another tenant's answers the same)."""


class InvalidOrder(InvalidRequest):
    """A field the market cannot take exactly (off the tick or lot, beyond its limits, unknown market)."""

    def __init__(self, field: str, message: str) -> None:
        errors = [{"field": field, "message": message}]
        super().__init__(invalid_fields_detail(errors) + f" ({message})", errors=errors)


class OrderRejected(ApiError, status=409, problem="order-rejected", title="Order rejected by the book"):
    """The book refused the command (`code`: post_only_would_take, fok_not_fillable, not_amendable, ...);
    nothing traded and the order's funds went back."""


class MarketUnavailable(ServiceUnavailable, problem="market-unavailable", title="Market unavailable"):
    """The market stopped after a failed ledger posting (it resumes when reopened), or another process is
    its writer."""


def field_problem(error: MarketSpecError) -> InvalidOrder:
    return InvalidOrder(error.field or "body", str(error))


def spot_problem(error: SpotError, field: str = "qty") -> ApiError:
    """The problem of a refusal the market made before journaling anything."""
    if isinstance(error, (MarketHalted, MarketBusy)):
        return MarketUnavailable(str(error))
    if isinstance(error, SeriesClosed):
        return InvalidOrder("market", str(error))
    if isinstance(error, NoIndexPrice):
        return OrderRejected(str(error), code="no_index_price")
    if isinstance(error, (AmendNeedsFunds, UnsupportedOrder)):
        return InvalidOrder(field, str(error))
    if isinstance(error, MarginRefused):
        return InvalidOrder(error.field, str(error))
    return InsufficientFunds(str(error), field, "exceeds_credits")


def rejected(reason: Reject) -> OrderRejected:
    return OrderRejected(f"the book refused the order: {reason.name.lower()}", code=reason.name.lower())
