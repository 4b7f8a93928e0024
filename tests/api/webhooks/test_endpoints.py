"""`/v1/webhook-endpoints`: create (the secret once), read, rotate, delete; what is refused and why."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.models import IdempotencyKey
from api.settings import ApiSettings
from tests.api.merchants.conftest import Onboarded
from tests.api.webhooks.conftest import Call, calling, endpoint_body

URL = "http://127.0.0.1:9/hooks"


def test_the_secret_is_in_the_creating_answer_only(writer: Call, session: Session):
    created = writer("POST", "/v1/webhook-endpoints", json=endpoint_body(URL), key="create-1")
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["object"] == "webhook_endpoint"
    assert endpoint["enabled_events"] == ["*"]
    read = writer("GET", f"/v1/webhook-endpoints/{endpoint['id']}")
    assert read.status_code == 200
    assert read.json() == {**endpoint, "secret": None}
    replay = writer("POST", "/v1/webhook-endpoints", json=endpoint_body(URL), key="create-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == {**endpoint, "secret": None}  # same endpoint, and the secret was never stored
    stored = session.scalars(select(IdempotencyKey.response_body)).all()
    assert stored
    assert not any("whsec_" in (body or "") for body in stored)


def test_rotation_answers_a_new_secret_once(writer: Call):
    endpoint = writer("POST", "/v1/webhook-endpoints", json=endpoint_body(URL)).json()
    path = f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"
    rotated = writer("POST", path, json={"overlap_seconds": 60}, key="rotate-1")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != endpoint["secret"]
    assert writer("POST", path, json={"overlap_seconds": 60}, key="rotate-1").json()["secret"] is None
    too_long = writer("POST", path, json={"overlap_seconds": 8 * 86400})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "overlap_seconds"


def test_deletion_then_the_endpoint_is_gone(writer: Call):
    endpoint = writer("POST", "/v1/webhook-endpoints", json=endpoint_body(URL)).json()
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    deleted = writer("DELETE", path)
    assert deleted.json() == {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}
    for method in ("GET", "DELETE"):
        gone = writer(method, path)
        assert gone.status_code == 404
        assert gone.json()["type"] == "urn:tpwallet:problem:webhook-endpoint-not-found"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "http://93.184.216.34/hooks"}, "url"),  # public but not https
        ({"url": "https://10.0.0.1/hooks"}, "url"),
        ({"url": "https://169.254.169.254/latest"}, "url"),
        ({"url": "ftp://x"}, "url"),
        ({"enabled_events": []}, "enabled_events"),
        ({"enabled_events": ["PaymentIntent"]}, "enabled_events"),
        ({"enabled_events": ["*"] * 65}, "enabled_events"),
        ({"url": "https://93.184.216.34/" + "a" * 2048}, "url"),
    ],
)
def test_a_refused_field_is_a_422_naming_it(writer: Call, fields: dict, field: str):
    refused = writer("POST", "/v1/webhook-endpoints", json={**endpoint_body(URL), **fields})
    assert refused.status_code == 422, refused.text
    assert [error["field"] for error in refused.json()["errors"]] == [field]


def test_a_live_endpoint_is_never_a_loopback_receiver(client: TestClient, merchant_a: Onboarded):
    refused = calling(client, merchant_a.live.token)("POST", "/v1/webhook-endpoints", json=endpoint_body(URL))
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["url"]


def test_without_a_key_file_creation_is_503(api_settings: ApiSettings, tmp_path: Path, merchant_a: Onboarded):
    keyless = api_settings.model_copy(update={"webhook_key_path": tmp_path / "absent.key"})
    with TestClient(create_app(keyless)) as client:
        call = calling(client, merchant_a.sandbox.token)
        refused = call("POST", "/v1/webhook-endpoints", json=endpoint_body(URL))
    assert refused.status_code == 503
    assert refused.json()["type"] == "urn:tpwallet:problem:webhooks-unavailable"


def test_a_malformed_key_file_stops_the_start(api_settings: ApiSettings, tmp_path: Path):
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    with (
        pytest.raises(RuntimeError, match="must hold"),
        TestClient(create_app(api_settings.model_copy(update={"webhook_key_path": bad}))),
    ):
        pass


def test_the_endpoint_belongs_to_the_keys_merchant_and_mode(writer: Call, merchant_a: Onboarded):
    endpoint = writer("POST", "/v1/webhook-endpoints", json=endpoint_body(URL)).json()
    assert (endpoint["merchant_id"], endpoint["livemode"]) == (merchant_a.id, False)
