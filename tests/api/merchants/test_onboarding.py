"""Onboarding through the API: apply, approve (keys shown once), reject; keys and their modes; who may call
what (no key 401, wrong scope 403), on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api import apikeys
from api.auth import add_api_key
from api.settings import ApiSettings
from payments.merchants import store
from payments.merchants.model import MerchantStatus
from payments.merchants.tenant import Tenant
from tests.api.merchants.conftest import APPLICATION, Caller, Onboarded, onboard
from tests.helpers.csr import make_csr

MERCHANT = "mch_" + "0" * 24
KEY = "0" * 16
CERTIFICATE = "crt_" + "0" * 24

# (method, path template, body): every merchant route; {m} is a merchant id, {k} a key id, {c} a
# certificate id.
ROUTES = [
    ("POST", "/v1/merchants/applications", APPLICATION),
    ("POST", "/v1/merchants/{m}/approve", None),
    ("POST", "/v1/merchants/{m}/reject", None),
    ("GET", "/v1/merchants/{m}", None),
    ("PATCH", "/v1/merchants/{m}", {"mcc": "5411"}),
    ("GET", "/v1/merchant", None),
    ("POST", "/v1/merchants/{m}/api-keys", {"mode": "sandbox"}),
    ("DELETE", "/v1/merchants/{m}/api-keys/{k}", None),
    ("POST", "/v1/merchants/{m}/certificates", {"csr": "x", "mode": "sandbox"}),
    ("DELETE", "/v1/merchants/{m}/certificates/{c}", None),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]


def test_the_route_table_lists_every_merchant_route(client: TestClient):
    served = {
        (
            method.upper(),
            path.replace("{merchant_id}", "{m}")
            .replace("{key_id}", "{k}")
            .replace("{certificate_id}", "{c}"),
        )
        for path, operations in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        if path.startswith(("/v1/merchants", "/v1/merchant"))
        for method in operations
    }
    assert served == {(method, path) for method, path, _ in ROUTES}


def test_apply_then_approve_issues_a_sandbox_and_a_live_key_shown_once(client: TestClient, admin: Caller):
    applied = admin.post("/v1/merchants/applications", APPLICATION)
    assert applied.status_code == 201
    merchant = applied.json()
    assert merchant["status"] == "applied"
    assert merchant["fees"]["card"] == {"basis_points": 290, "fixed": "30"}
    approved = admin.post(f"/v1/merchants/{merchant['id']}/approve", idempotency_key="approve-1")
    assert approved.status_code == 200
    assert approved.json()["merchant"]["status"] == "active"
    tokens = {key["mode"]: key["token"] for key in approved.json()["api_keys"]}
    assert tokens["sandbox"].startswith("tpw_test_")
    assert tokens["live"].startswith("tpw_live_")

    replay = admin.post(f"/v1/merchants/{merchant['id']}/approve", idempotency_key="approve-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert [key["token"] for key in replay.json()["api_keys"]] == [None, None]  # the secret is not kept
    assert len(admin.get(f"/v1/merchants/{merchant['id']}").json()["api_keys"]) == 2  # nothing issued twice
    for mode, token in tokens.items():
        own = Caller(client, token).get("/v1/merchant")
        assert own.status_code == 200
        assert [key["mode"] for key in own.json()["api_keys"]] == [mode]


def test_a_rejected_application_is_final(admin: Caller):
    merchant_id = admin.post("/v1/merchants/applications", APPLICATION).json()["id"]
    rejected = admin.post(f"/v1/merchants/{merchant_id}/reject")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    for action in ("approve", "reject"):
        response = admin.post(f"/v1/merchants/{merchant_id}/{action}")
        assert response.status_code == 409
        assert response.json()["type"] == "urn:tpwallet:problem:merchant-status-conflict"


def test_an_active_merchant_is_not_approved_twice(admin: Caller, merchant_a: Onboarded):
    assert admin.post(f"/v1/merchants/{merchant_a.id}/approve").status_code == 409
    assert admin.post(f"/v1/merchants/{merchant_a.id}/reject").status_code == 409


def test_an_unknown_merchant_is_404(admin: Caller):
    for response in (
        admin.get(f"/v1/merchants/{MERCHANT}"),
        admin.post(f"/v1/merchants/{MERCHANT}/approve"),
        admin.post(f"/v1/merchants/{MERCHANT}/api-keys", {"mode": "live"}),
    ):
        assert response.status_code == 404
        assert response.json()["type"] == "urn:tpwallet:problem:merchant-not-found"


def test_a_merchant_rotates_its_key(client: TestClient, merchant_a: Onboarded):
    issued = merchant_a.live.post(f"/v1/merchants/{merchant_a.id}/api-keys", {"mode": "live", "name": "v2"})
    assert issued.status_code == 201
    new = Caller(client, issued.json()["token"])
    revoked = new.delete(f"/v1/merchants/{merchant_a.id}/api-keys/{merchant_a.key_ids['live']}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert merchant_a.live.get("/v1/merchant").status_code == 401
    assert new.get("/v1/merchant").status_code == 200
    again = new.delete(f"/v1/merchants/{merchant_a.id}/api-keys/{merchant_a.key_ids['live']}")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


def test_a_token_whose_mode_prefix_was_changed_is_refused(client: TestClient, merchant_a: Onboarded):
    token = merchant_a.live.token
    assert token is not None
    for forged in (token.replace("tpw_live_", "tpw_test_"), token.replace("tpw_live_", "tpw_")):
        assert Caller(client, forged).get("/v1/merchant").status_code == 401


def test_a_suspended_merchants_keys_stop_working(merchant_a: Onboarded, session: Session):
    store.move(session, merchant_a.id, MerchantStatus.SUSPENDED, datetime.now(UTC))
    session.commit()
    assert merchant_a.sandbox.get("/v1/merchant").status_code == 401
    assert merchant_a.live.get("/v1/merchant").status_code == 401


def test_an_operators_key_has_no_merchant_of_its_own(operator):
    response = operator("merchants:admin").get("/v1/merchant")
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_no_key_is_401(client: TestClient, method: str, path: str, body: object):
    response = Caller(client, None).request(method, path.format(m=MERCHANT, k=KEY, c=CERTIFICATE), body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_a_key_without_the_scope_is_403(
    client: TestClient,
    operator,
    merchant_a: Onboarded,
    session: Session,
    method: str,
    path: str,
    body: object,
):
    """An operator with every custody scope but no merchant one; a merchant key that may only read."""
    custody = operator("custody:read", "custody:sign", "custody:approve", "custody:admin", "custody:audit")
    reader = add_api_key(session, "reader", ["merchant:read"], Tenant(merchant_a.id, False))
    session.commit()
    callers = [custody, Caller(client, reader.token)]
    if path.startswith(("/v1/merchants/{m}", "/v1/merchant")) and method == "GET":
        callers = [custody]  # reading is what a merchant:read key is for
    for caller in callers:
        response = caller.request(
            method, path.format(m=merchant_a.id, k=merchant_a.key_ids["sandbox"], c=CERTIFICATE), body
        )
        assert response.status_code == 403, (caller.token, response.text)
    assert merchant_a.sandbox.get("/v1/merchant").status_code == 200  # nothing was revoked


def test_an_applicant_desk_files_but_does_not_approve(operator):
    desk = operator("merchants:apply")
    merchant_id = desk.post("/v1/merchants/applications", APPLICATION).json()["id"]
    assert desk.post(f"/v1/merchants/{merchant_id}/approve").status_code == 403
    assert desk.get(f"/v1/merchants/{merchant_id}").status_code == 403


def test_two_merchants_have_distinct_ids(client: TestClient, admin: Caller):
    assert onboard(client, admin, "One").id != onboard(client, admin, "Two").id


def test_a_replayed_key_issue_issues_nothing_and_shows_no_secret(client: TestClient, merchant_a: Onboarded):
    path = f"/v1/merchants/{merchant_a.id}/api-keys"
    first = merchant_a.sandbox.post(path, {"mode": "sandbox"}, idempotency_key="rotate-1")
    replay = merchant_a.sandbox.post(path, {"mode": "sandbox"}, idempotency_key="rotate-1")
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == {**first.json(), "token": None}
    assert Caller(client, first.json()["token"]).get("/v1/merchant").status_code == 200
    assert len(merchant_a.sandbox.get("/v1/merchant").json()["api_keys"]) == 2
    other_body = merchant_a.sandbox.post(path, {"mode": "sandbox", "name": "x"}, idempotency_key="rotate-1")
    assert other_body.status_code == 409


def test_a_replayed_certificate_request_answers_the_same_certificate(merchant_a: Onboarded):
    path, body = f"/v1/merchants/{merchant_a.id}/certificates", {"csr": make_csr()}
    first = merchant_a.live.post(path, body, idempotency_key="cert-1")
    replay = merchant_a.live.post(path, body, idempotency_key="cert-1")
    assert replay.json() == first.json()
    assert len(merchant_a.live.get("/v1/merchant").json()["certificates"]) == 1


def test_the_key_cli_lists_a_merchant_keys_merchant_and_mode(
    api_settings: ApiSettings, merchant_a: Onboarded
):
    listed = CliRunner(mix_stderr=False).invoke(apikeys.main, ["list"], obj=api_settings)
    assert listed.exit_code == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert lines[merchant_a.key_ids["live"]].endswith(f"merchant {merchant_a.id} live")
    assert lines[merchant_a.key_ids["sandbox"]].endswith(f"merchant {merchant_a.id} sandbox")
