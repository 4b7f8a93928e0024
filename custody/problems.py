"""RFC 9457 problem documents (`application/problem+json`), written once for every HTTP face of the project.

A service states how its documents differ from another's in one `ProblemProfile` and installs it with
`install_handlers`; everything else is shared: the body (`problem_body`: the standard members in one order,
then the extensions), the base error (`ProblemError`: its class names the problem, an instance says what
happened), the problem a bare HTTP status is (``<prefix>method-not-allowed``), the document listing a
request's invalid fields, and the bare 500 that says nothing about what failed. What differs, and why:

- the problem types' prefix, on the service's root error class: ``urn:tpwallet:problem:`` (the API),
  ``urn:tpwallet:custody:`` (a signer node);
- the status of a request that does not validate, on the profile's validation error: 422
  ``validation-error`` for the API (its clients send well-formed JSON with a bad value), 400
  ``malformed-request`` for a node (only the coordinator talks to it; a bad field is a broken client);
- how a field is named: without its location for the API (``amount``, ``tx_hash``: path, query and body
  alike), with it for a node (``body.intent.chain_id``);
- whether a body that is not JSON is a problem of its own (the API: 415 for another media type, 400
  ``malformed-json`` for unparseable JSON) or one more invalid field (a node);
- members every document carries after ``instance`` (the API's ``request_id``);
- who answers an unexpected exception: the node's handlers (logging it), or something around the app (the
  API's request-context middleware, so that its 500 still carries the request id).

Why here: `custody` is the lowest package with an HTTP face (the signer nodes) and `api` already imports it
(``chain`` <- ``custody`` <- ``api``); outside `custody.node`, so the API and the services to come never
import a node's internals. The module imports nothing of the project, and the web framework only where a
handler or a response is made: error classes rooted here stay cheap to import for the CLI and storage code.
"""

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, Final

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.requests import Request
    from starlette.responses import JSONResponse

PROBLEM_JSON: Final = "application/problem+json"


def problem_body(
    status: int,
    problem_type: str,
    title: str,
    detail: str,
    instance: str,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A problem document: RFC 9457's members (``instance`` is the request's path), then `extensions`."""
    return {
        "type": problem_type,
        "title": title,
        "status": int(status),
        "detail": detail,
        "instance": instance,
        **(extensions or {}),
    }


def invalid_fields_detail(errors: Iterable[Mapping[str, Any]]) -> str:
    """The ``detail`` of a document listing invalid fields: each field once, sorted, never a value."""
    return "invalid value for: " + ", ".join(sorted({str(error["field"]) for error in errors}))


class ProblemError(Exception):
    """An expected failure of a request: the class names the problem, `detail` says what happened.

    A service roots its errors in one subclass that sets `type_prefix`, and whose `problem`, `title` and
    `unexpected_detail` are the bare 500's; `extensions` become members of the document, `headers` (e.g.
    Retry-After) are sent with it.
    """

    type_prefix: ClassVar[str]
    status: ClassVar[int] = HTTPStatus.INTERNAL_SERVER_ERROR
    problem: ClassVar[str]
    title: ClassVar[str]
    unexpected_detail: ClassVar[str] = ""
    """A root's: the 500's ``detail``, where to look, never what failed."""

    def __init_subclass__(
        cls, *, status: int | None = None, problem: str | None = None, title: str | None = None, **kwargs: Any
    ) -> None:
        """Name the problem in the class statement: ``class NotFound(ApiError, status=HTTPStatus.NOT_FOUND,
        problem="not-found", title="Not found")``; what is not given is inherited."""
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if problem is not None:
            cls.problem = problem
        if title is not None:
            cls.title = title

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}

    @classmethod
    def problem_type(cls) -> str:
        """The document's ``type``: the service's prefix and the class's `problem`."""
        return cls.type_prefix + cls.problem


def _no_context() -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class ProblemProfile:
    """How one service's problem documents differ from another's (see the module's docstring)."""

    root: type[ProblemError]
    """The service's error class: each subclass raised answers its own document; its `type_prefix` starts
    every problem type the service answers; it is the 500's problem."""
    validation: type[ProblemError]
    """What a request that does not validate is: its `status` is the service's validation status."""
    fields_with_location: bool
    """Name an invalid field with its location first (``body.amount``) or without it (``amount``)."""
    json_body_problems: bool
    """A body sent as another media type is a 415, one that is not JSON a 400 ``malformed-json``."""
    context: Callable[[], Mapping[str, Any]] = field(default=_no_context)
    """Members every document carries after ``instance``, read when the document is made."""
    error_log: logging.Logger | None = None
    """Where the app's handlers log an unexpected exception they answer; None: the app leaves it to
    whatever runs around it."""

    @property
    def type_prefix(self) -> str:
        """What every problem type of the service starts with."""
        return self.root.type_prefix

    @property
    def validation_status(self) -> int:
        """The status of a request that does not validate."""
        return self.validation.status

    def _extensions(self, extensions: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {**self.context(), **(extensions or {})}

    def error_body(self, instance: str, error: ProblemError) -> dict[str, Any]:
        """The document of `error`, raised for a request for `instance`."""
        problem = error.problem_type()
        return problem_body(
            error.status, problem, error.title, error.detail, instance, self._extensions(error.extensions)
        )

    def status_body(self, instance: str, status: HTTPStatus, detail: str | None = None) -> dict[str, Any]:
        """The document of a bare HTTP status: its phrase names the problem (``method-not-allowed``)."""
        problem = self.type_prefix + status.phrase.lower().replace(" ", "-")
        return problem_body(
            status,
            problem,
            status.phrase,
            status.description if detail is None else detail,
            instance,
            self._extensions(),
        )

    def validation_body(self, instance: str, errors: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """The document listing the invalid fields of pydantic's `errors` (their ``loc`` starting with where
        the field is: ``body``, ``query``, ...) with pydantic's message, never the value."""
        listed = [
            {"field": self._field_name(tuple(error["loc"])), "message": error["msg"]} for error in errors
        ]
        kind = self.validation
        detail = invalid_fields_detail(listed)
        return problem_body(
            kind.status,
            kind.problem_type(),
            kind.title,
            detail,
            instance,
            self._extensions({"errors": listed}),
        )

    def _field_name(self, location: tuple[int | str, ...]) -> str:
        parts = location if self.fields_with_location else location[1:] or location
        return ".".join(str(part) for part in parts)

    def malformed_json_body(self, instance: str, reason: str) -> dict[str, Any]:
        """A body that is not JSON at all (where the parser stopped is said in ``detail``, not passed off as
        a field)."""
        problem = self.type_prefix + "malformed-json"
        detail = f"the body is not valid JSON: {reason}"
        return problem_body(
            HTTPStatus.BAD_REQUEST, problem, "Malformed JSON", detail, instance, self._extensions()
        )

    def unsupported_media_type_body(self, instance: str) -> dict[str, Any]:
        """A body sent as another media type than JSON to a route that takes JSON."""
        problem = self.type_prefix + "unsupported-media-type"
        detail = "this route takes a JSON body: send it with Content-Type: application/json"
        return problem_body(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            problem,
            "Unsupported media type",
            detail,
            instance,
            self._extensions(),
        )

    def internal_body(self, instance: str) -> dict[str, Any]:
        """The bare 500: nothing about what failed leaves the server."""
        root = self.root
        return problem_body(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            root.problem_type(),
            root.title,
            root.unexpected_detail,
            instance,
            self._extensions(),
        )

    def unexpected(self, method: str, instance: str, error: BaseException) -> dict[str, Any]:
        """Log `error` (a bug or a broken service) to `error_log` and answer the bare 500."""
        if self.error_log is not None:
            self.error_log.error("request %s %s failed", method, instance, exc_info=error)
        return self.internal_body(instance)

    def response(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> "JSONResponse":
        """`body` as a response, with its status."""
        from starlette.responses import JSONResponse  # here, not above: see the module's docstring

        return JSONResponse(body, status_code=body["status"], headers=headers, media_type=PROBLEM_JSON)

    def error_response(self, request: "Request", error: ProblemError) -> "JSONResponse":
        """The response to `error` (also what middleware answers before the app runs)."""
        return self.response(self.error_body(request.url.path, error), error.headers or None)

    def internal_response(self, request: "Request") -> "JSONResponse":
        """The bare 500 (for middleware that catches what the app did not)."""
        return self.response(self.internal_body(request.url.path))


def install_handlers(app: "FastAPI", profile: ProblemProfile) -> None:
    """Answer, in `app`, every `profile.root` error, every request that does not validate and every HTTP
    error with its problem document; and every other exception with the bare 500 if `profile.error_log`."""
    from fastapi.exceptions import RequestValidationError  # here, not above: see the module's docstring
    from starlette.exceptions import HTTPException

    async def problem_error(request: "Request", exc: Exception) -> "JSONResponse":
        assert isinstance(exc, ProblemError)
        return profile.error_response(request, exc)

    async def validation_error(request: "Request", exc: Exception) -> "JSONResponse":
        assert isinstance(exc, RequestValidationError)
        path = request.url.path
        if profile.json_body_problems:
            if isinstance(exc.body, bytes) and exc.body:  # FastAPI parses JSON only when the type says JSON
                return profile.response(profile.unsupported_media_type_body(path))
            malformed = [error for error in exc.errors() if error["type"] == "json_invalid"]
            if malformed:
                reason = malformed[0].get("ctx", {}).get("error", "unreadable")
                at = malformed[0]["loc"][-1]
                return profile.response(profile.malformed_json_body(path, f"{reason} at character {at}"))
        return profile.response(profile.validation_body(path, exc.errors()))

    async def http_error(request: "Request", exc: Exception) -> "JSONResponse":
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if profile.json_body_problems and isinstance(exc.__cause__, UnicodeDecodeError):
            return profile.response(profile.malformed_json_body(path, "not UTF-8"))  # FastAPI's 400 for it
        detail = exc.detail if isinstance(exc.detail, str) else None
        return profile.response(profile.status_body(path, HTTPStatus(exc.status_code), detail), exc.headers)

    async def unexpected_error(request: "Request", exc: Exception) -> "JSONResponse":
        return profile.response(profile.unexpected(request.method, request.url.path, exc))

    app.add_exception_handler(profile.root, problem_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    if profile.error_log is not None:
        app.add_exception_handler(Exception, unexpected_error)
