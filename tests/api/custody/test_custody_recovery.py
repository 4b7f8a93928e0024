"""Idempotency atomic with the custody work (issue 9, point 2), against real signer-node processes on SQLite
and PostgreSQL: a request that fails after a phase committed leaves a recovery point, and its retry with the
same Idempotency-Key resumes from there. Before, the failure released the key, so the retry stored a second
sign request (or refused the operator's approval it had itself stored, as a duplicate).

Failures are injected where the work calls out: the coordinator's signing call raises once, after the sign
request or the approval was committed (the crash of a whole API process is `tests/devnet`'s).
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from api.custody.runtime import CustodyRuntime
from api.models import CustodyApproval, CustodySignRequest
from api.settings import ApiSettings
from tests.helpers.custody_api import ALICE, BOB, Api, approval_of, approve, assert_verifies, treasury_tx
from tests.helpers.db import count_rows

# The custody tests' fixtures: a module's own group of node processes, the app on it, a key made by DKG.


class Outage(RuntimeError):
    """What the injected failure raises: an error the API does not expect (so a 500)."""


def _fail_next_signing(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Make the coordinator's next `sign` raise `Outage` (later ones work); returns a count of calls."""
    runtime: CustodyRuntime = app.state.custody
    real = runtime.signing.sign
    calls = 0

    async def once(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Outage("the nodes' connection broke")
        return await real(*args, **kwargs)

    monkeypatch.setattr(runtime.signing, "sign", once)
    return lambda: calls


def test_a_sign_request_that_failed_after_it_was_stored_is_resumed_not_stored_again(
    api: Api, key: dict[str, Any], app: FastAPI, settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fail_next_signing(app, monkeypatch)
    body = {"key_id": key["key_id"], "intent": treasury_tx(21)}
    failed = api.post("/sign-requests", body, key="resume-me")
    assert failed.status_code == 500
    assert (
        count_rows(settings.database_url, CustodySignRequest) == 1
    )  # the first phase committed before the failure

    resumed = api.post("/sign-requests", body, key="resume-me")
    assert resumed.status_code == 201, resumed.text
    assert "Idempotent-Replayed" not in resumed.headers
    assert_verifies(key, resumed.json())
    assert calls() == 2
    assert (
        count_rows(settings.database_url, CustodySignRequest) == 1
    )  # the same request, signed: never a second one

    replayed = api.post("/sign-requests", body, key="resume-me")
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.content == resumed.content
    assert calls() == 2


def test_an_approval_that_failed_after_it_was_stored_is_resumed_not_refused_as_a_duplicate(
    api: Api, key: dict[str, Any], app: FastAPI, settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = api.post("/sign-requests", {"key_id": key["key_id"], "intent": treasury_tx(5_000)}).json()
    assert request["status"] == "pending"
    assert approve(api, request, ALICE).status_code == 201
    path = f"/sign-requests/{request['id']}/approvals"
    bob = approval_of(request, BOB).to_json()
    _fail_next_signing(app, monkeypatch)
    assert api.post(path, bob, key="bob-approves").status_code == 500
    assert (
        count_rows(settings.database_url, CustodyApproval) == 2
    )  # bob's approval committed before the failure

    resumed = api.post(path, bob, key="bob-approves")
    assert resumed.status_code == 201, resumed.text
    assert_verifies(key, resumed.json())
    assert [approval["operator"] for approval in resumed.json()["approvals"]] == [ALICE.address, BOB.address]
    assert count_rows(settings.database_url, CustodyApproval) == 2
