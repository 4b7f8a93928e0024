"""The custody group's signature on a payout's `CustodyTransfer`, asked of the API's custody coordinator over
HTTP (`POST /v1/custody/sign-requests`), as any client of the custody group asks: the signer nodes' policies
decide, and the request is audited with the others.

The request's Idempotency-Key names the transfer (refund id and treasury nonce), so asking again after a
crash gets the same sign request, and the same signature, instead of a second one. The API key (scope
`custody:sign`) is read from a file whose path is a setting; it is never logged.
"""

import time
from dataclasses import dataclass
from typing import Any, Final

import httpx

from chain.intents import CustodyTransfer
from chain.treasury import OnchainSignature

SIGN_REQUESTS: Final = "/v1/custody/sign-requests"
POLL_SECONDS: Final = 0.5


class SigningRefused(RuntimeError):
    """The custody group did not sign (refused by policy, still pending at the deadline, or an API error)."""


@dataclass(frozen=True)
class CustodySigner:
    """Signs CustodyTransfers of `treasury` on `chain_id` with the group key `key_id` through the API."""

    api_url: str
    api_key: str
    key_id: str
    chain_id: int
    treasury: str
    timeout_seconds: float = 60.0

    def sign(self, transfer: CustodyTransfer, request_key: str) -> OnchainSignature:
        """The signature (R.x, R.y, z) of `transfer`; `SigningRefused` with the nodes' reasons otherwise."""
        body = {
            "key_id": self.key_id,
            "intent": {
                "primary_type": transfer.PRIMARY_TYPE,
                "message": transfer.to_json(uint256_as_string=True),
                "chain_id": str(self.chain_id),
                "verifying_contract": self.treasury,
            },
        }
        headers = {"Authorization": f"Bearer {self.api_key}"}
        deadline = time.monotonic() + self.timeout_seconds
        with httpx.Client(base_url=self.api_url, headers=headers, timeout=self.timeout_seconds) as client:
            request = _answer(client.post(SIGN_REQUESTS, json=body, headers={"Idempotency-Key": request_key}))
            while request["status"] == "pending" and time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
                request = _answer(client.get(f"{SIGN_REQUESTS}/{request['id']}"))
        if request["status"] != "signed" or request.get("signature") is None:
            raise SigningRefused(f"sign request {request['id']} is {request['status']}: {request['reasons']}")
        signature = request["signature"]
        return int(signature["rx"], 16), int(signature["ry"], 16), int(signature["z"], 16)


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise SigningRefused(f"the custody API answered {response.status_code}: {response.text[:300]}")
    answer: dict[str, Any] = response.json()
    return answer
