"""The provider's result webhook, read once its signature was verified: `check.completed` with the check's
id, our `reference` and its `result` (`clear`, `rejected`, `review`) with reasons. Anything else is an
`InvalidResult` naming the field at fault."""

import json
from typing import Any, Final

from risk.kyc.checks import CheckStatus, ProviderResult

RESULTS: Final = {
    "clear": CheckStatus.APPROVED,
    "rejected": CheckStatus.REJECTED,
    "review": CheckStatus.REVIEW,
}
MAX_REASONS: Final = 16


class InvalidResult(ValueError):
    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise InvalidResult(f"{where}.{key} must be a string of 1 to 64 characters", f"{where}.{key}")
    return value


def parse_result(body: bytes) -> ProviderResult:
    """The result a verified webhook body reports."""
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidResult("the body is not JSON", "body") from None
    if not isinstance(event, dict) or event.get("type") != "check.completed":
        raise InvalidResult("only check.completed events are sent here", "type")
    data = event.get("data")
    if not isinstance(data, dict):
        raise InvalidResult("data must be an object", "data")
    result = data.get("result")
    if result not in RESULTS:
        raise InvalidResult(f"data.result must be one of {', '.join(RESULTS)}", "data.result")
    reasons = data.get("reasons", [])
    if (
        not isinstance(reasons, list)
        or len(reasons) > MAX_REASONS
        or not all(isinstance(reason, str) and len(reason) <= 64 for reason in reasons)
    ):
        raise InvalidResult("data.reasons must be a list of short strings", "data.reasons")
    return ProviderResult(
        provider_check_id=_text(data, "id", "data"),
        check_id=_text(data, "reference", "data"),
        status=RESULTS[result],
        reasons=tuple(reasons),
    )
