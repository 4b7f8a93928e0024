"""`KycProviderClient`: `risk.kyc.checks.KycProvider` over the provider's HTTP API (`POST /v1/checks`).

Our check id is the submission's `reference`: the provider answers a retried submission with the check it
already made, so `submit` may be retried safely. A provider that does not answer, or answers other than
2xx, raises `KycProviderUnavailable` (the check is then recorded `failed` by `Checks.start`); its answer
body is never put in the error, as it may echo personal data.
"""

from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from risk.kyc.checks import CheckRequest

PROVIDER_NAME: Final = "sandbox-kyc"


class KycProviderUnavailable(RuntimeError):
    """The provider did not take the submission (no answer, or not 2xx)."""


@dataclass
class KycProviderClient:
    base_url: str
    timeout: float = 5.0
    name: str = PROVIDER_NAME
    _http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(base_url=self.base_url.rstrip("/"), timeout=self.timeout)

    def close(self) -> None:
        self._http.close()

    def submit(self, check_id: str, request: CheckRequest) -> str:
        body: dict[str, Any] = {
            "reference": check_id,
            "level": str(request.tier),
            "full_name": request.full_name,
            "date_of_birth": request.date_of_birth.isoformat(),
            "country": request.country,
        }
        if request.document_number:
            body["document"] = {
                "number": request.document_number,
                "expires_on": None
                if request.document_expires_on is None
                else request.document_expires_on.isoformat(),
            }
        try:
            answer = self._http.post("/v1/checks", json=body)
        except httpx.HTTPError as error:
            raise KycProviderUnavailable(f"the KYC provider did not answer: {type(error).__name__}") from None
        if not answer.is_success:
            raise KycProviderUnavailable(f"the KYC provider answered {answer.status_code}")
        try:
            provider_check_id = str(answer.json()["id"])
        except (ValueError, KeyError, TypeError):
            raise KycProviderUnavailable("the KYC provider's answer names no check id") from None
        return provider_check_id
