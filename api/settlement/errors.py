"""The problems of `/v1/settlement`."""

from api.errors import ApiError, NotFound


class TradeNotFound(NotFound, problem="trade-not-found", title="Trade not found"):
    """No settled trade of this id has the caller on either side (another's answers the same)."""


class TradeNotBatched(ApiError, status=409, problem="trade-not-batched", title="Trade not batched yet"):
    """The trade is settled but waits for its batch to be cut: ask again after the batch interval."""
