"""The local stack's API as a client sees it: the devnet API key, made with the `api.apikeys` command, and
JSON requests that carry it (POSTs with a fresh idempotency key each).
"""

import json
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from chain.paths import PROJECT_ROOT
from scripts._support.stack.config import StackError

DEVNET_SCOPES = (
    "custody:read,custody:sign,custody:approve,custody:admin,custody:audit,"  # every custody scope
    "ledger:read,ledger:write,merchants:admin,fx:read,fx:write,reconciliation:read,reconciliation:write,"
    "risk:read,cases:read,cases:review"
)


def create_api_key(env: Mapping[str, str], name: str = "devnet", scopes: str = DEVNET_SCOPES) -> str:
    """A new API key named `name` with `scopes` (by default the operator scopes the demo uses: custody,
    ledger, merchants, FX), in the database the API of `env` runs on."""
    created = subprocess.run(
        [sys.executable, "-m", "api.apikeys", "create", "--name", name, "--scopes", scopes],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if created.returncode != 0:
        raise StackError(f"could not create the {name} API key: {created.stderr.strip()}")
    return created.stdout.strip().splitlines()[-1]


def request_json(
    api_url: str,
    api_key: str,
    method: str,
    path: str,
    payload: dict[str, object] | None,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`method` `path` on the API at `api_url` with `api_key` (if any) and `extra_headers` (a device's
    signature, say: the body is `json.dumps(payload)`, the bytes a signer hashes); the JSON answer, or a
    `StackError` holding the problem document."""
    headers = {"Content-Type": "application/json", **(extra_headers or {})}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    if method == "POST":
        headers["Idempotency-Key"] = secrets.token_hex(16)
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(  # noqa: S310 - the stack's own loopback URL
        f"{api_url}{path}", data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            body: dict[str, Any] = json.load(response)
            return body
    except urllib.error.HTTPError as error:
        problem = error.read().decode(errors="replace")
        raise StackError(f"{method} {path} answered {error.code}: {problem}") from None
