"""`/v1/disputes`: an operator records the card network's dispute and decision, the merchant reads it and
answers with evidence; nobody else sees or touches it (another merchant, the other mode, a key without the
scope), and each change is announced to the merchant's webhooks."""

import json
from typing import Any

from sqlalchemy import select

from api.settings import ApiSettings
from payments.webhooks.schema import events
from tests.api.disputes.conftest import MakeOperator
from tests.api.merchants.conftest import Caller, Onboarded
from tests.helpers.db import session_on

DISPUTES = "/v1/disputes"


def _paid(merchant: Caller, amount: str = "10000") -> str:
    """A succeeded intent of `merchant`'s; its id."""
    created = merchant.post(
        "/v1/payment-intents", {"amount": amount, "currency": "EUR", "payment_method": "pm_ok"}
    )
    assert created.status_code == 201, created.text
    confirmed = merchant.post(f"/v1/payment-intents/{created.json()['id']}/confirm")
    assert confirmed.json()["status"] == "succeeded", confirmed.text
    return str(confirmed.json()["id"])


def _open(desk: Caller, intent_id: str, **body: Any) -> dict[str, Any]:
    opened = desk.post(DISPUTES, {"payment_intent": intent_id, "reason": "fraudulent", **body})
    assert opened.status_code == 201, opened.text
    return opened.json()


def _field(response: Any) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def _event_types(settings: ApiSettings, merchant_id: str) -> list[str]:
    with session_on(settings.database_url) as session:
        bodies = session.scalars(select(events.c.body).where(events.c.merchant_id == merchant_id))
        return sorted(json.loads(body)["type"] for body in bodies)


def test_a_dispute_is_recorded_read_answered_and_closed(
    desk: Caller,
    merchant_a: Onboarded,
    api_settings: ApiSettings,
) -> None:
    intent_id = _paid(merchant_a.sandbox)
    body = {"payment_intent": intent_id, "amount": "4000", "reason": "product_not_received"}
    opened = desk.post(DISPUTES, body, idempotency_key="network-case-1")
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    assert {
        k: dispute[k] for k in ("object", "payment_intent", "livemode", "amount", "reason", "status")
    } == {
        "object": "dispute",
        "payment_intent": intent_id,
        "livemode": False,
        "amount": "4000",
        "reason": "product_not_received",
        "status": "open",
    }
    again = desk.post(DISPUTES, body, idempotency_key="network-case-1")
    assert (again.status_code, again.json()) == (201, dispute)
    path = f"{DISPUTES}/{dispute['id']}"
    assert merchant_a.sandbox.get(path).json() == dispute
    assert desk.get(path).json() == dispute
    intent = merchant_a.sandbox.get(f"/v1/payment-intents/{intent_id}").json()
    assert intent["amount_disputed"] == "4000"

    evidence = {"customer_name": "Ada Lovelace", "shipping_tracking_number": "1Z999"}
    answered = merchant_a.sandbox.post(f"{path}/evidence", evidence)
    assert (answered.status_code, answered.json()["evidence"]) == (200, evidence), answered.text
    more = merchant_a.sandbox.post(f"{path}/evidence", {"customer_name": "A. Lovelace"})
    assert more.json()["evidence"] == {**evidence, "customer_name": "A. Lovelace"}

    closed = desk.post(f"{path}/close", {"won": True})
    assert (closed.status_code, closed.json()["status"]) == (200, "won"), closed.text
    assert closed.json()["closed"] is not None
    assert merchant_a.sandbox.get(f"/v1/payment-intents/{intent_id}").json()["amount_disputed"] == "0"
    again_closed = desk.post(f"{path}/close", {"won": False})
    assert (again_closed.status_code, again_closed.json()["intent_status"]) == (409, "won")
    late = merchant_a.sandbox.post(f"{path}/evidence", {"customer_name": "Too late"})
    assert late.status_code == 409
    assert _event_types(api_settings, merchant_a.id).count("charge.dispute.created") == 1
    assert [t for t in _event_types(api_settings, merchant_a.id) if t.startswith("charge.")] == [
        "charge.dispute.closed",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.updated",
    ]


def test_outsiders_neither_see_nor_touch_a_dispute(
    desk: Caller,
    merchant_a: Onboarded,
    merchant_b: Onboarded,
    operator: MakeOperator,
) -> None:
    dispute = _open(desk, _paid(merchant_a.sandbox))
    path = f"{DISPUTES}/{dispute['id']}"
    for outsider in (merchant_b.sandbox, merchant_b.live, merchant_a.live, operator("payments:read")):
        assert outsider.get(path).status_code == 404
        assert outsider.get(DISPUTES).json()["data"] == []
    for outsider in (merchant_b.sandbox, merchant_a.live):
        refused = outsider.post(f"{path}/evidence", {"customer_name": "Mallory"})
        assert refused.status_code == 404, refused.text
    for unscoped in (merchant_a.sandbox, operator("payments:write", "disputes:read")):
        assert unscoped.post(f"{path}/close", {"won": True}).status_code == 403
        assert unscoped.post(DISPUTES, {"payment_intent": dispute["payment_intent"]}).status_code == 403
    assert operator("fx:read").get(path).status_code == 403
    assert operator("disputes:write").get(path).status_code == 403
    assert merchant_a.sandbox.get(path).json()["evidence"] == {}


def test_bad_input_is_refused_naming_the_field(desk: Caller, merchant_a: Onboarded) -> None:
    intent_id = _paid(merchant_a.sandbox, "1000")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"payment_intent": intent_id, "reason": "bored"}, 422, "reason"),
        ({"payment_intent": intent_id, "amount": 5}, 422, "amount"),
        ({"payment_intent": intent_id, "amount": "1001"}, 422, "amount"),
        ({"payment_intent": "pi_nobody"}, 404, "payment_intent"),
    ]
    for body, status, field in cases:
        refused = desk.post(DISPUTES, body)
        assert (refused.status_code, _field(refused)) == (status, [field]), (body, refused.text)
    path = f"{DISPUTES}/{_open(desk, intent_id)['id']}"
    for evidence, field in (
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"customer_name": ""}, "customer_name"),
    ):
        refused = merchant_a.sandbox.post(f"{path}/evidence", evidence)
        assert (refused.status_code, _field(refused)) == (422, [field]), refused.text
    refused = desk.post(f"{path}/close", {"won": "yes"})
    assert (refused.status_code, _field(refused)) == (422, ["won"])
    assert desk.post(f"{DISPUTES}/dp_nobody/close", {"won": True}).status_code == 404
    assert desk.get(f"{DISPUTES}?payment_intent=not%20an%20id").status_code == 422


def test_lists_page_through_the_callers_disputes(
    desk: Caller,
    merchant_a: Onboarded,
    merchant_b: Onboarded,
) -> None:
    first, second = _paid(merchant_a.sandbox), _paid(merchant_a.sandbox)
    theirs = _paid(merchant_b.sandbox)
    mine = [
        _open(desk, first, amount="100")["id"],
        _open(desk, first, amount="200")["id"],
        _open(desk, second)["id"],
    ]
    other = _open(desk, theirs)["id"]

    seen, cursor = [], None
    while True:
        page = merchant_a.sandbox.get(f"{DISPUTES}?limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [dispute["id"] for dispute in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert sorted(seen) == sorted(mine)
    only_first = merchant_a.sandbox.get(f"{DISPUTES}?payment_intent={first}").json()["data"]
    assert sorted(dispute["id"] for dispute in only_first) == sorted(mine[:2])
    assert {dispute["id"] for dispute in desk.get(f"{DISPUTES}?limit=100").json()["data"]} == {*mine, other}
    assert [d["id"] for d in merchant_b.sandbox.get(DISPUTES).json()["data"]] == [other]
    wrong_filter = merchant_a.sandbox.get(f"{DISPUTES}?payment_intent={second}&cursor={cursor}")
    assert (wrong_filter.status_code, _field(wrong_filter)) == (400, ["cursor"])


def test_a_post_sent_again_under_its_key_is_answered_and_announced_once(
    desk: Caller, merchant_a: Onboarded, api_settings: ApiSettings
) -> None:
    intent_id = _paid(merchant_a.sandbox)
    opened = [desk.post(DISPUTES, {"payment_intent": intent_id}, idempotency_key="case-9") for _ in range(2)]
    assert opened[0].json() == opened[1].json()
    path = f"{DISPUTES}/{opened[0].json()['id']}/evidence"
    first = merchant_a.sandbox.post(path, {"customer_name": "Ada"}, idempotency_key="evidence-1")
    replay = merchant_a.sandbox.post(path, {"customer_name": "Ada"}, idempotency_key="evidence-1")
    assert (replay.status_code, replay.json(), replay.headers.get("Idempotent-Replayed")) == (
        200,
        first.json(),
        "true",
    )
    announced = [t for t in _event_types(api_settings, merchant_a.id) if t.startswith("charge.")]
    assert announced == ["charge.dispute.created", "charge.dispute.updated"]
