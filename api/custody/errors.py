"""The custody routes' refusals, each an `ApiError` with its status and problem type (mapped to problem
responses once, in `api.errors`); each is raised before the request stored anything."""

from api.errors import ApiError, InvalidRequest, NotFound, ServiceUnavailable
from custody.problems import invalid_fields_detail


class CustodyKeyNotFound(NotFound, problem="custody-key-not-found", title="Custody key not found"):
    """Neither this API nor any node that answers knows a custody key of this id."""


class CustodyNodeNotFound(NotFound, problem="custody-node-not-found", title="Custody node not found"):
    """No signer node of the custody roster has this id."""


class SignRequestNotFound(NotFound, problem="sign-request-not-found", title="Sign request not found"):
    """No sign request has this id."""


class CustodyConflict(
    ApiError, status=409, problem="custody-conflict", title="Conflict with the custody state"
):
    """The request contradicts the current state: a key id taken, a request already signed, an operator
    who already approved."""


class CustodyValidationError(InvalidRequest):
    """A well-formed body the custody group cannot take (a node not in the roster, a threshold above n, an
    approval signed by someone else); the same problem as FastAPI's validation errors, `errors` naming the
    field."""

    def __init__(self, field: str, message: str) -> None:
        errors = [{"field": field, "message": message}]
        super().__init__(invalid_fields_detail(errors), errors=errors)
        self.reason = message


class KeyStatementsDisagree(
    ApiError, status=502, problem="key-statements-disagree", title="Nodes disagree about the key"
):
    """The nodes holding a key the API does not know yet state different public keys for it."""


class KeyCeremonyError(ApiError, status=502, problem="key-ceremony-failed", title="Key ceremony failed"):
    """The nodes could not complete a DKG or refresh; `nodes` says what each did, nothing was stored."""


class CustodyUnavailable(ServiceUnavailable, problem="custody-unavailable", title="Custody not configured"):
    """This API process has no custody group configured (no roster file)."""
