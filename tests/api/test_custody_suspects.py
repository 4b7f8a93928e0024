"""`DELETE /v1/custody/nodes/{node_id}/suspect`: an operator clears the suspect mark the coordinator put on a
node whose signature shares failed, so it is chosen to sign again (issue 9, point 14).

The API's coordinator marks the nodes suspect through its real signing path, over in-memory signers whose
shares all fail (`tests.custody.coordinator.test_signing_versions.VersionedSigners`); no node process is
needed, as clearing the mark asks no node anything.
"""

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import SCOPES, Scope, issue_api_key
from api.custody.runtime import CustodyRuntime
from api.settings import ApiSettings
from custody.audit import AuditLog
from custody.coordinator.signing import SigningFailed
from tests.custody.coordinator.test_signing_versions import STALE, VersionedSigners
from tests.helpers.custody_nodes import TEST_KEY_ID, CustodyGroup, anchor_intent, request_id
from tests.helpers.db import session_on

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(api_settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    group = CustodyGroup(tmp_path / "group", {}, size=3)  # provisioned, never started
    return api_settings.model_copy(
        update={
            "custody_roster_path": group.nodes[1].data_dir / "roster.json",
            "custody_tls_dir": group.root / "coordinator",
        }
    )


@pytest.fixture
def app(settings: ApiSettings) -> FastAPI:
    return create_app(settings)


def token(settings: ApiSettings, name: str, scopes: Sequence[Scope]) -> tuple[str, str]:
    """A new API key's bearer token and the actor name audit records give it."""
    with session_on(settings.database_url) as session:
        issued = issue_api_key(session, name, scopes)
        return issued.token, f"api-key:{issued.key_id}"


@pytest.fixture
def suspects(client: TestClient) -> list[int]:
    """The nodes the API's coordinator now holds suspect: every share of the first session failed."""
    runtime: CustodyRuntime = client.app.state.custody  # type: ignore[attr-defined]
    runtime.public_keys[TEST_KEY_ID] = STALE[1]
    runtime.signing.client = VersionedSigners(STALE, cheat=True)
    with pytest.raises(SigningFailed) as failure:
        asyncio.run(runtime.signing.sign(TEST_KEY_ID, request_id(), anchor_intent()))
    assert runtime.signing.suspects == set(failure.value.culprits)
    return failure.value.culprits


def test_an_admin_clears_a_suspect_mark_and_it_is_audited(
    client: TestClient, settings: ApiSettings, suspects: list[int]
) -> None:
    admin, actor = token(settings, "ops", list(SCOPES))
    headers = {"Authorization": f"Bearer {admin}"}
    cleared, kept = suspects

    first = client.delete(f"/v1/custody/nodes/{cleared}/suspect", headers=headers)
    again = client.delete(f"/v1/custody/nodes/{cleared}/suspect", headers=headers)

    assert first.status_code == 200, first.text
    assert first.json() == {"node_id": cleared, "was_suspect": True}
    assert again.json() == {"node_id": cleared, "was_suspect": False}
    assert client.app.state.custody.signing.suspects == {kept}  # type: ignore[attr-defined]
    records = [
        (record.actor, record.subject, record.details)
        for record in AuditLog.open_file(settings.custody_audit_path).records()
        if record.action == "node.suspect-cleared"
    ]
    assert records == [
        (actor, f"node:{cleared}", {"was_suspect": True}),
        (actor, f"node:{cleared}", {"was_suspect": False}),
    ]


def test_an_outsider_cannot_clear_a_suspect_mark(
    client: TestClient, settings: ApiSettings, suspects: list[int]
) -> None:
    signer, _ = token(settings, "desk", ["custody:read", "custody:sign", "custody:approve"])
    node = suspects[0]
    for headers, status in (({}, 401), ({"Authorization": f"Bearer {signer}"}, 403)):
        response = client.delete(f"/v1/custody/nodes/{node}/suspect", headers=headers)
        assert response.status_code == status, response.text
    assert "custody:admin" in response.json()["detail"]
    assert client.app.state.custody.signing.suspects == set(suspects)  # type: ignore[attr-defined]


def test_a_node_outside_the_roster_is_404_and_a_bad_id_422(client: TestClient, settings: ApiSettings) -> None:
    admin, _ = token(settings, "ops", list(SCOPES))
    headers = {"Authorization": f"Bearer {admin}"}

    missing = client.delete("/v1/custody/nodes/9/suspect", headers=headers)
    invalid = client.delete("/v1/custody/nodes/0/suspect", headers=headers)

    assert missing.status_code == 404
    assert missing.json()["type"].endswith("custody-node-not-found")
    assert invalid.status_code == 422
    assert "node_id" in invalid.text
