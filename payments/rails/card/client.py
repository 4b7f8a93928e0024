"""The card processor's JSON API over httpx: one pooled client, a timeout per call, the platform's bearer
credential read from its file (never from the environment).

The processor answers objects or problem documents; this module turns a problem into one of the errors
below, so the rail and the API never look at status codes. A processor that does not answer, or answers
5xx or refuses our credential, is `ProcessorUnavailable`: the step changed nothing here and may be retried
under the same Idempotency-Key.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from payments.intents.errors import InvalidRequest, RailConflict


class ProcessorUnavailable(InvalidRequest):
    """The processor did not answer, or not usefully (the API answers 503: field `rail`)."""

    field = "rail"


@dataclass
class ProcessorProblem(Exception):
    """A 4xx problem of the processor: its `code` and the fields it names (`card.number`, ...)."""

    status: int
    code: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class CardProcessorClient:
    base_url: str
    credential: str
    timeout: float = 5.0
    _http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            timeout=self.timeout,
            headers={"Authorization": f"Bearer {self.credential}"},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        )

    @classmethod
    def from_file(cls, base_url: str, credential_path: Path, timeout: float) -> "CardProcessorClient":
        return cls(base_url, credential_path.read_text().strip(), timeout)

    def close(self) -> None:
        self._http.close()

    def post(self, path: str, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        answer: dict[str, Any] = self._send("POST", path, json=body, headers=headers).json()
        return answer

    def get_text(self, path: str) -> str:
        return self._send("GET", path).text

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **options)
        except httpx.HTTPError as error:
            raise ProcessorUnavailable(f"the card processor did not answer: {type(error).__name__}") from None
        if response.status_code in (401, 403) or response.status_code >= 500:
            raise ProcessorUnavailable(f"the card processor answered {response.status_code}")
        if response.is_success:
            return response
        try:
            problem = response.json()
            code, detail, errors = (
                str(problem["code"]),
                str(problem["detail"]),
                list(problem.get("errors", [])),
            )
        except (ValueError, KeyError, TypeError):
            raise ProcessorUnavailable(f"the card processor answered {response.status_code}") from None
        if code == "idempotency_conflict":
            raise RailConflict(detail)
        raise ProcessorProblem(response.status_code, code, detail, errors)
