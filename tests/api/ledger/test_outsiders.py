"""Outsiders on every ledger route: no key is a 401, a key without the route's scope a 403, and a GET never
answers a writer's key nor a POST a reader's."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Scope
from api.settings import ApiSettings
from tests.api.ledger.conftest import issue

ROUTES: list[tuple[str, str, Scope]] = [
    ("POST", "/v1/ledger/accounts", "ledger:write"),
    ("GET", "/v1/ledger/accounts/{account_id}", "ledger:read"),
    ("GET", "/v1/ledger/accounts/{account_id}/entries", "ledger:read"),
    ("POST", "/v1/ledger/transfers", "ledger:write"),
    ("GET", "/v1/ledger/transfers/{transfer_id}", "ledger:read"),
    ("POST", "/v1/ledger/transfers/{transfer_id}/post", "ledger:write"),
    ("POST", "/v1/ledger/transfers/{transfer_id}/void", "ledger:write"),
]
"""Every ledger route and the scope it needs."""


def call(client: TestClient, method: str, template: str, token: str | None) -> int:
    path = template.replace("{account_id}", "1").replace("{transfer_id}", "1")
    headers = {"Idempotency-Key": "outsider"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.request(method, path, headers=headers, json={} if method == "POST" else None).status_code


def test_the_table_lists_every_ledger_route(app: FastAPI) -> None:
    served = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/ledger")
        for method in operations
    }
    assert served == {(method, path) for method, path, _ in ROUTES}


def test_no_key_is_a_401_everywhere(client: TestClient) -> None:
    assert {call(client, method, path, None) for method, path, _ in ROUTES} == {401}


@pytest.mark.parametrize("scope", ["custody:read", "custody:admin", "ledger:read", "ledger:write"])
def test_a_key_without_the_routes_scope_is_a_403(
    client: TestClient, api_settings: ApiSettings, scope: Scope
) -> None:
    token = issue(api_settings, scope)
    for method, path, needed in ROUTES:
        status = call(client, method, path, token)
        if scope == needed:
            assert status not in (401, 403), (method, path)  # let in: then 404 or 422 for this body
        else:
            assert status == 403, (method, path, scope)
