"""The problems of `/v1/bridge`."""

from api.errors import ApiError, NotFound


class MessageNotFound(NotFound, problem="bridge-message-not-found", title="Bridge message not found"):
    """No bridge message of this id (or no deposit in this transaction) has been seen by the relay."""


class MessageNotBatched(
    ApiError, status=409, problem="bridge-message-not-batched", title="Bridge message not batched yet"
):
    """The message is seen but waits for its batch: ask again after the batch interval."""
