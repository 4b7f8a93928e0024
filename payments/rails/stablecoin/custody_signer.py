"""The custody group's signature on a payout's `CustodyTransfer`, asked of the API's custody coordinator over
HTTP (`POST /v1/custody/sign-requests`), as any client of the custody group asks: the signer nodes' policies
decide, and the request is audited with the others.

The request's Idempotency-Key names the transfer (refund id and treasury nonce), so asking again after a
crash gets the same sign request, and the same signature, instead of a second one. The API key (scope
`custody:sign`) is read from a file whose path is a setting; it is never logged.
"""

from dataclasses import dataclass

import httpx

from chain.intents import CustodyTransfer
from chain.treasury import OnchainSignature
from payments.rails.custody_requests import SigningRefused, request_signature

__all__ = ["CustodySigner", "SigningRefused"]


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
        headers = {"Authorization": f"Bearer {self.api_key}"}
        with httpx.Client(base_url=self.api_url, headers=headers, timeout=self.timeout_seconds) as client:
            return request_signature(
                client,
                self.key_id,
                transfer,
                self.chain_id,
                self.treasury,
                request_key,
                timeout_seconds=self.timeout_seconds,
            )
