"""Outsiders: no key, a key without the scope, another merchant or mode, on every webhook route."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.auth import Scope
from payments.webhooks.outbox import Event
from payments.webhooks.schema import deliveries
from tests.api.webhooks.conftest import OTHER_MERCHANT, Call, calling, endpoint_body, tenant

URL = "http://127.0.0.1:9/hooks"
ENDPOINT = "we_" + "0" * 24
EVENT = "evt_" + "0" * 24
DELIVERY = "whd_" + "0" * 24
ROUTES: list[tuple[str, str, Scope]] = [
    ("POST", "/v1/webhook-endpoints", "webhooks:write"),
    ("GET", f"/v1/webhook-endpoints/{ENDPOINT}", "webhooks:read"),
    ("POST", f"/v1/webhook-endpoints/{ENDPOINT}/rotate-secret", "webhooks:write"),
    ("DELETE", f"/v1/webhook-endpoints/{ENDPOINT}", "webhooks:write"),
    ("GET", f"/v1/events/{EVENT}", "webhooks:read"),
    ("GET", "/v1/webhook-deliveries", "webhooks:read"),
    ("POST", f"/v1/webhook-deliveries/{DELIVERY}/redeliver", "webhooks:write"),
]
OTHER_SCOPES: dict[Scope, tuple[Scope, ...]] = {
    "webhooks:read": ("webhooks:write", "custody:admin", "custody:read"),
    "webhooks:write": ("webhooks:read", "custody:admin", "custody:sign"),
}


def test_every_webhook_route_is_listed(client: TestClient):
    served = {
        (method.upper(), path)
        for path, operations in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        if path.startswith(("/v1/webhook", "/v1/events"))
        for method in operations
    }
    assert len(served) == len(ROUTES)


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
def test_no_key_is_401_and_a_key_without_the_scope_is_403(
    client: TestClient, token: Callable[..., str], method: str, path: str, scope: Scope
):
    assert calling(client, None)(method, path, json=endpoint_body(URL), params=tenant()).status_code == 401
    refused = calling(client, token(*OTHER_SCOPES[scope]))(
        method, path, json=endpoint_body(URL), params=tenant()
    )
    assert refused.status_code == 403
    assert scope in refused.json()["detail"]


@pytest.mark.parametrize(("merchant_id", "livemode"), [(OTHER_MERCHANT, False), ("acct_merchant_a", True)])
def test_another_merchant_or_mode_sees_and_touches_nothing(
    writer: Call,
    session: Session,
    emit_events: Callable[..., list[Event]],
    merchant_id: str,
    livemode: bool,
):
    endpoint = writer("POST", "/v1/webhook-endpoints", json=endpoint_body(URL)).json()
    (event,) = emit_events()
    session.execute(update(deliveries).values(status="dead"))
    session.commit()
    (delivery,) = writer("GET", "/v1/webhook-deliveries", params=tenant()).json()["data"]
    outsider = tenant(merchant_id, livemode)
    paths = {
        ("GET", f"/v1/webhook-endpoints/{endpoint['id']}"),
        ("POST", f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"),
        ("DELETE", f"/v1/webhook-endpoints/{endpoint['id']}"),
        ("GET", f"/v1/events/{event.id}"),
        ("POST", f"/v1/webhook-deliveries/{delivery['id']}/redeliver"),
    }
    for method, path in sorted(paths):
        options = {"json": outsider} if method == "POST" else {"params": outsider}
        answer = writer(method, path, **options)
        assert answer.status_code == 404, (method, path, answer.text)
        assert URL not in answer.text  # nothing of the owner's objects but the id the outsider sent
        assert "pi_0" not in answer.text
        assert "secret" not in answer.json() or answer.json().get("secret") is None
    listed = writer("GET", "/v1/webhook-deliveries", params=outsider).json()
    assert listed["data"] == []
    # Nothing the outsider tried changed the owner's objects.
    assert writer("GET", f"/v1/webhook-endpoints/{endpoint['id']}", params=tenant()).status_code == 200
    (still,) = writer("GET", "/v1/webhook-deliveries", params=tenant()).json()["data"]
    assert still["status"] == "dead"
