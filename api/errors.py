"""The API's exceptions, its problem documents' profile and their schema in the OpenAPI document.

Services raise `ApiError` subclasses; `custody.problems.install_handlers(app, API_PROBLEMS)` turns them,
FastAPI's validation errors and Starlette's HTTP errors into RFC 9457 problem documents (the code shared
with the signer nodes), as `API_PROBLEMS` says. Anything else is a bug: `API_PROBLEMS.internal_response`
answers a 500 that names only the request id, never the exception, and the traceback goes to the log.

A body is a problem of its own before it is a value: one that is not JSON at all is a 400 `malformed-json`
(where the parser stopped is said in `detail`, not passed off as a field), and one sent as another media type
than JSON to a route that takes JSON is a 415, never a 422 about the fields it could not have.
"""

from http import HTTPStatus
from typing import Any, Final

from pydantic import ConfigDict

from api.logs import request_id_var
from api.schemas import ApiModel
from custody.problems import PROBLEM_JSON, ProblemError, ProblemProfile

PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


class FieldError(ApiModel):
    """One invalid field of a request."""

    field: str
    """Where: the parameter's name, or a dotted path into the body."""
    message: str
    """What is wrong with it."""


class Problem(ApiModel):
    """An RFC 9457 problem document: every error the API answers is one (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str
    """`urn:tpwallet:problem:<name>`: what kind of problem, for programs."""
    title: str
    """A short summary of the problem type, for people."""
    status: int
    """The HTTP status code."""
    detail: str
    """What happened in this case."""
    instance: str
    """The request path."""
    request_id: str
    """The `X-Request-ID` of the response: quote it when reporting."""
    errors: list[FieldError] | None = None
    """For a 422: each invalid field, named by its location."""


def problem_doc(description: str) -> dict[str, Any]:
    """An OpenAPI `responses` entry: an RFC 9457 problem document, with what the status means here."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}}


class ApiError(ProblemError):
    """An expected failure of a request; the class says which problem, `detail` says what happened."""

    type_prefix = "urn:tpwallet:problem:"
    status = HTTPStatus.INTERNAL_SERVER_ERROR
    problem = "internal-error"
    title = "Internal error"
    unexpected_detail = "The server failed to handle the request; quote the request id when reporting it."


class InvalidRequest(ApiError, status=422, problem="validation-error", title="Invalid request"):
    """A request with a field of the wrong shape or value; `errors` names each field."""


class NotFound(ApiError, status=404, problem="not-found", title="Not found"):
    """The resource named in the path does not exist."""


class UnknownNetwork(NotFound, problem="unknown-network", title="Unknown network"):
    """The path names a network the API does not serve."""


class TransactionNotFound(NotFound, problem="transaction-not-found", title="Transaction not found"):
    """The chain has no receipt for the transaction (never sent, still pending, or on another chain)."""


class ServiceUnavailable(ApiError, status=503, problem="service-unavailable", title="Service unavailable"):
    """Something the API depends on does not answer; retrying later may succeed."""


class ChainUnavailable(ServiceUnavailable, problem="chain-unavailable", title="Chain unavailable"):
    """A chain's JSON-RPC node did not answer in time or answered nonsense."""


class RegistryMismatch(
    ServiceUnavailable, problem="registry-mismatch", title="Deployments registry does not match the chain"
):
    """The deployments registry was written for another chain than the one the node serves now."""


class Unhealthy(ServiceUnavailable, problem="unhealthy", title="Service unhealthy"):
    """At least one health check failed; the `checks` extension says which."""


API_PROBLEMS: Final = ProblemProfile(
    root=ApiError,
    validation=InvalidRequest,
    fields_with_location=False,
    json_body_problems=True,
    context=lambda: {"request_id": request_id_var.get()},
)
"""The API's problem documents: 422 for an invalid field, named without its location; 415 and 400
`malformed-json` for a body that is not JSON; each carries its request id. An unexpected exception is
answered by `api.middleware.RequestContextMiddleware`, outside the app, so that the 500 carries the id too."""
