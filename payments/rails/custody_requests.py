"""Asking the custody group for a signature over HTTP, as any client of the API's custody coordinator does
(`POST /v1/custody/sign-requests`, then polling while it is `pending`): the signer nodes' policies decide,
and the request is audited with the others.

The request's Idempotency-Key names what is signed (a payout's transfer, a batch's anchor), so asking again
after a crash gets the same sign request, and the same signature, instead of a second one. An Anchor request
may carry its batch's leaves (`anchor_leaves`), a BridgeBatch its messages (`bridge_messages`), from which
every node rebuilds the root before it signs (and checks the messages on the chains it reads).
A request the nodes left `pending` for a reason time cures (a bridge message not yet at the nodes' depth, a
node down) stays pending until someone asks for another attempt (`POST .../attempts`); a caller that passes
`retry_pending_seconds` does so itself every that many seconds until the deadline, each attempt under an
Idempotency-Key of its own (each is a new attempt, not a replay of the last).
The API key is the caller's; it is sent as a bearer token and never logged.
"""

import time
from http import HTTPStatus
from typing import Any, Final

import httpx

from chain.intents import Intent

SIGN_REQUESTS: Final = "/v1/custody/sign-requests"
POLL_SECONDS: Final = 0.5

OnchainSignature = tuple[int, int, int]


class SigningRefused(RuntimeError):
    """The custody group did not sign (refused by policy, still pending at the deadline, or an API error)."""


class SignRequestRefused(SigningRefused):
    """The signer nodes refused by policy: final, since asking again with the same Idempotency-Key returns
    the same refused request (a caller gives up on what it asked for, unlike a timeout or an API error)."""


def request_signature(
    client: httpx.Client,
    key_id: str,
    intent: Intent,
    chain_id: int,
    verifying_contract: str,
    request_key: str,
    *,
    anchor_leaves: dict[str, Any] | None = None,
    bridge_messages: dict[str, Any] | None = None,
    timeout_seconds: float = 60.0,
    retry_pending_seconds: float | None = None,
) -> OnchainSignature:
    """The signature (R.x, R.y, z) of `intent` in the domain (`chain_id`, `verifying_contract`), asked
    with `client` (base URL: the API; headers: the caller's key); `SigningRefused` with the nodes' reasons.
    With `retry_pending_seconds`, a pending request is attempted again that often (the module docstring)."""
    body: dict[str, Any] = {
        "key_id": key_id,
        "intent": {
            "primary_type": intent.PRIMARY_TYPE,
            "message": intent.to_json(uint256_as_string=True),
            "chain_id": str(chain_id),
            "verifying_contract": verifying_contract,
        },
    }
    if anchor_leaves is not None:
        body["anchor_leaves"] = anchor_leaves
    if bridge_messages is not None:
        body["bridge_messages"] = bridge_messages
    deadline = time.monotonic() + timeout_seconds
    request = _answer(client.post(SIGN_REQUESTS, json=body, headers={"Idempotency-Key": request_key}))
    next_attempt = None if retry_pending_seconds is None else time.monotonic() + retry_pending_seconds
    while request["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        if (
            next_attempt is not None
            and retry_pending_seconds is not None
            and time.monotonic() >= next_attempt
        ):
            next_attempt = time.monotonic() + retry_pending_seconds
            request = _attempt_again(client, request["id"], request_key)
        else:
            request = _answer(client.get(f"{SIGN_REQUESTS}/{request['id']}"))
    if request["status"] == "refused":
        raise SignRequestRefused(f"sign request {request['id']} is refused: {request['reasons']}")
    if request["status"] != "signed" or request.get("signature") is None:
        raise SigningRefused(f"sign request {request['id']} is {request['status']}: {request['reasons']}")
    signature = request["signature"]
    return int(signature["rx"], 16), int(signature["ry"], 16), int(signature["z"], 16)


def _attempt_again(client: httpx.Client, request_id: str, request_key: str) -> dict[str, Any]:
    """`POST .../attempts` of a pending request: the request as it stands after the attempt. An attempt of
    it still running elsewhere (409) is waited for, by reading the request instead."""
    key = f"{request_key}:attempt:{time.time_ns()}"
    response = client.post(f"{SIGN_REQUESTS}/{request_id}/attempts", headers={"Idempotency-Key": key})
    if response.status_code == HTTPStatus.CONFLICT:
        return _answer(client.get(f"{SIGN_REQUESTS}/{request_id}"))
    return _answer(response)


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise SigningRefused(f"the custody API answered {response.status_code}: {response.text[:300]}")
    answer: dict[str, Any] = response.json()
    return answer
