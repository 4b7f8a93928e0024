"""Outsiders on every webhook route: no key, a merchant's key without the scope, an operator's key (it acts
for no merchant), and another merchant's or another mode's key."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.auth import SCOPES, Scope
from payments.webhooks.outbox import Event
from payments.webhooks.schema import deliveries
from tests.api.merchants.conftest import Onboarded
from tests.api.webhooks.conftest import Call, calling, endpoint_body

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
    "webhooks:read": ("webhooks:write", "merchant:read", "merchant:write"),
    "webhooks:write": ("webhooks:read", "merchant:read", "merchant:write"),
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
def test_no_key_401_a_key_without_the_scope_403_an_operators_key_403(
    client: TestClient,
    merchant_a: Onboarded,
    merchant_token: Callable[..., str],
    operator_token: Callable[..., str],
    method: str,
    path: str,
    scope: Scope,
):
    body = {"json": endpoint_body(URL)} if method == "POST" else {}
    assert calling(client, None)(method, path, **body).status_code == 401
    narrow = calling(client, merchant_token(merchant_a, False, *OTHER_SCOPES[scope]))(method, path, **body)
    assert narrow.status_code == 403
    assert scope in narrow.json()["detail"]
    operator = calling(client, operator_token(*SCOPES))(method, path, **body)
    assert operator.status_code == 403  # every operator scope, none of them a merchant's webhooks scope
    assert scope in operator.json()["detail"]


@pytest.mark.parametrize("outsider", ["merchant B, sandbox", "merchant A, live"])
def test_another_merchant_or_mode_sees_and_touches_nothing(
    client: TestClient,
    writer: Call,
    session: Session,
    emit_events: Callable[..., list[Event]],
    merchant_a: Onboarded,
    merchant_b: Onboarded,
    outsider: str,
):
    endpoint = writer("POST", "/v1/webhook-endpoints", json=endpoint_body(URL)).json()
    (event,) = emit_events()
    session.execute(update(deliveries).values(status="dead"))
    session.commit()
    (delivery,) = writer("GET", "/v1/webhook-deliveries").json()["data"]
    stranger = calling(
        client, (merchant_b.sandbox if outsider.startswith("merchant B") else merchant_a.live).token
    )
    paths = [
        ("GET", f"/v1/webhook-endpoints/{endpoint['id']}"),
        ("POST", f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"),
        ("DELETE", f"/v1/webhook-endpoints/{endpoint['id']}"),
        ("GET", f"/v1/events/{event.id}"),
        ("POST", f"/v1/webhook-deliveries/{delivery['id']}/redeliver"),
    ]
    for method, path in paths:
        answer = stranger(method, path, **({"json": {}} if method == "POST" else {}))
        assert answer.status_code == 404, (method, path, answer.text)
        assert URL not in answer.text  # nothing of the owner's objects but the id the outsider sent
        assert "pi_0" not in answer.text
    assert stranger("GET", "/v1/webhook-deliveries").json()["data"] == []
    # Nothing the outsider tried changed the owner's objects.
    assert writer("GET", f"/v1/webhook-endpoints/{endpoint['id']}").status_code == 200
    (still,) = writer("GET", "/v1/webhook-deliveries").json()["data"]
    assert still["status"] == "dead"
