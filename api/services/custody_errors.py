"""The custody routes' refusals, each an `ApiError` with its status and problem type (mapped to problem
responses once, in `api.errors`); each is raised before the request stored anything."""

from http import HTTPStatus

from api.errors import ApiError, NotFound


class CustodyKeyNotFound(NotFound):
    """Neither this API nor any node that answers knows a custody key of this id."""

    problem = "custody-key-not-found"
    title = "Custody key not found"


class CustodyNodeNotFound(NotFound):
    """No signer node of the custody roster has this id."""

    problem = "custody-node-not-found"
    title = "Custody node not found"


class SignRequestNotFound(NotFound):
    """No sign request has this id."""

    problem = "sign-request-not-found"
    title = "Sign request not found"


class CustodyConflict(ApiError):
    """The request contradicts the current state: a key id taken, a request already signed, an operator
    who already approved."""

    status = HTTPStatus.CONFLICT
    problem = "custody-conflict"
    title = "Conflict with the custody state"


class CustodyValidationError(ApiError):
    """A well-formed body the custody group cannot take (a node not in the roster, a threshold above n, an
    approval signed by someone else); shaped like FastAPI's validation problems, `errors` naming the field."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    problem = "validation-error"
    title = "Invalid request"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"invalid value for: {field}", errors=[{"field": field, "message": message}])
        self.reason = message


class KeyStatementsDisagree(ApiError):
    """The nodes holding a key the API does not know yet state different public keys for it."""

    status = HTTPStatus.BAD_GATEWAY
    problem = "key-statements-disagree"
    title = "Nodes disagree about the key"


class KeyCeremonyError(ApiError):
    """The nodes could not complete a DKG or refresh; `nodes` says what each did, nothing was stored."""

    status = HTTPStatus.BAD_GATEWAY
    problem = "key-ceremony-failed"
    title = "Key ceremony failed"
