"""Reading the API's problem documents in tests: the status, the media type and the problem's type checked
at once, and the fields its `errors` names."""

from typing import Any

import httpx


def problem_of(response: httpx.Response, status: int, problem: str) -> dict[str, Any]:
    """The problem document of `response`, after checking it is one of type `problem` with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    document: dict[str, Any] = response.json()
    assert document["type"] == f"urn:tpwallet:problem:{problem}"
    return document


def fields_of(document: dict[str, Any]) -> list[str]:
    """The fields (or headers) a problem document's `errors` names, in order."""
    return [error["field"] for error in document.get("errors") or []]
