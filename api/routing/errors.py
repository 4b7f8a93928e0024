"""The problems of `/v1/routes` and `/v1/parent-orders`."""

from api.errors import NotFound


class ParentOrderNotFound(NotFound, problem="parent-order-not-found", title="Parent order not found"):
    """No parent order of this id is the caller's (another tenant's answers the same)."""
