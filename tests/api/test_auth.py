"""API keys: outsiders are refused on every custody route (401 / 403), keys are stored hashed, scoped and
revocable, never logged, and the `python -m api.apikeys` CLI manages them.

These tests need no signer node: custody is off (no roster), so a caller that passes authentication gets
the 503 that says so, which proves the key was accepted.
"""

import hashlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api import apikeys
from api.app import create_app
from api.auth import SCOPES, ApiKeyError, Scope, authenticate, issue_api_key, parse_scopes, revoke_api_key
from api.db import make_engine
from api.models import ApiKey
from api.settings import ApiSettings
from custody.audit import AuditLog

REQUEST = "0x" + "ab" * 32
ROUTES: list[tuple[str, str, Scope]] = [
    ("POST", "/v1/custody/keys", "custody:admin"),
    ("GET", "/v1/custody/keys", "custody:read"),
    ("POST", "/v1/custody/keys/treasury/refresh", "custody:admin"),
    ("POST", "/v1/custody/keys/treasury/import", "custody:admin"),
    ("GET", "/v1/custody/keys/treasury", "custody:read"),
    ("POST", "/v1/custody/sign-requests", "custody:sign"),
    ("GET", "/v1/custody/sign-requests", "custody:read"),
    ("GET", f"/v1/custody/sign-requests/{REQUEST}", "custody:read"),
    ("POST", f"/v1/custody/sign-requests/{REQUEST}/approvals", "custody:approve"),
    ("POST", f"/v1/custody/sign-requests/{REQUEST}/attempts", "custody:sign"),
    ("GET", "/v1/custody/audit", "custody:audit"),
    ("DELETE", "/v1/custody/nodes/2/suspect", "custody:admin"),
]
"""Every custody route and the scope it names; some also take others (`ALSO_ACCEPTED`)."""
READS_EVERY_REQUEST: tuple[Scope, ...] = ("custody:admin", "custody:audit", "custody:approve")
ALSO_ACCEPTED: dict[str, tuple[Scope, ...]] = {
    "/v1/custody/sign-requests": READS_EVERY_REQUEST,
    f"/v1/custody/sign-requests/{REQUEST}": READS_EVERY_REQUEST,
}


def accepted(method: str, path: str, scope: Scope) -> tuple[Scope, ...]:
    return (scope, *ALSO_ACCEPTED.get(path, ())) if method == "GET" else (scope,)


Issue = Callable[..., str]

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""For checks no database backend changes; the ones that store or revoke keys run on both."""


@pytest.fixture
def settings(api_settings: ApiSettings, tmp_path: Path) -> ApiSettings:
    """The test database, custody off (no roster), the audit log in this test's folder."""
    return api_settings.model_copy(
        update={
            "custody_roster_path": tmp_path / "custody" / "roster.json",
            "custody_audit_path": tmp_path / "custody" / "audit.jsonl",
        }
    )


@pytest.fixture
def app(settings: ApiSettings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def session(client: TestClient, settings: ApiSettings) -> Iterator[Session]:
    """A session on the app's (migrated) database."""
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def issue(session: Session) -> Issue:
    """Issue a key with the given scopes; returns its token."""

    def issue_key(*scopes: Scope, name: str = "test") -> str:
        return issue_api_key(session, name, scopes).token

    return issue_key


def template(path: str) -> str:
    """The route template a listed path is served by."""
    return path.replace(REQUEST, "{request_id}").replace("treasury", "{key_id}").replace("/2/", "/{node_id}/")


def call(client: TestClient, method: str, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": "auth-test"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.request(method, path, headers=headers, json={} if method == "POST" else None)


@SQLITE_ONLY
def test_the_route_table_lists_every_custody_route(app: FastAPI):
    served = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/custody")
        for method in operations
    }
    listed = {(method, template(path)) for method, path, _ in ROUTES}
    assert served == listed


@SQLITE_ONLY
def test_no_key_is_401_with_a_bearer_challenge_on_every_route(client: TestClient):
    for method, path, _ in ROUTES:
        response = call(client, method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="tpwallet"'
        assert response.headers["content-type"] == "application/problem+json"


MALFORMED_OR_UNKNOWN = [
    "tpw_0123456789abcdef_" + "A" * 43,  # well-formed, unknown id
    "tpw_0123456789ABCDEF_" + "A" * 43,  # upper-case id: not our spelling
    "tpw_short_secret",
    "not-a-key",
]


@SQLITE_ONLY
def test_an_unknown_or_malformed_key_is_401(client: TestClient):
    for token in MALFORMED_OR_UNKNOWN:
        response = client.get("/v1/custody/audit", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="tpwallet", error="invalid_token"'


@SQLITE_ONLY
def test_a_wrong_secret_for_a_real_id_is_401(client: TestClient, issue: Issue):
    token = issue("custody:audit")
    forged = token[: -len("x")] + ("x" if not token.endswith("x") else "y")
    assert client.get("/v1/custody/audit", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert client.get("/v1/custody/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 503


@SQLITE_ONLY
def test_a_basic_credential_is_not_a_key(client: TestClient, issue: Issue):
    token = issue("custody:read")
    response = client.get("/v1/custody/audit", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401


@SQLITE_ONLY
def test_a_key_without_the_routes_scope_is_403_naming_it_on_every_route(client: TestClient, issue: Issue):
    for method, path, scope in ROUTES:
        scopes = accepted(method, path, scope)
        response = call(client, method, path, issue(*(other for other in SCOPES if other not in scopes)))
        assert response.status_code == 403, (method, path)
        assert scope in response.json()["detail"]
        assert response.headers["WWW-Authenticate"] == (
            f'Bearer realm="tpwallet", error="insufficient_scope", scope="{" ".join(scopes)}"'
        )


def test_a_key_with_the_scope_gets_past_authentication_on_every_route(client: TestClient, issue: Issue):
    for method, path, scope in ROUTES:
        for one in accepted(method, path, scope):
            response = call(client, method, path, issue(one))
            assert response.status_code == 503, (method, path, one)
            assert response.json()["type"] == "urn:tpwallet:problem:custody-unavailable"


@SQLITE_ONLY
def test_the_audit_log_needs_its_own_scope_not_admin(client: TestClient, issue: Issue):
    for scopes in (("custody:read",), ("custody:admin",), ("custody:read", "custody:sign", "custody:admin")):
        response = client.get("/v1/custody/audit", headers={"Authorization": f"Bearer {issue(*scopes)}"})
        assert response.status_code == 403, scopes
        assert "custody:audit" in response.json()["detail"]


def test_a_revoked_key_is_401_on_every_route(client: TestClient, session: Session, issue: Issue):
    token = issue(*SCOPES)
    assert call(client, "GET", "/v1/custody/audit", token).status_code == 503
    revoke_api_key(session, token.split("_")[1])
    for method, path, _ in ROUTES:
        response = call(client, method, path, token)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="tpwallet", error="invalid_token"'


def test_only_the_secrets_hash_is_stored(client: TestClient, session: Session, issue: Issue):
    token = issue("custody:read", "custody:sign", name="desk")
    _, key_id, secret = token.split("_", 2)
    stored = session.scalars(select(ApiKey)).one()
    assert stored.id == key_id
    assert stored.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.scopes == "custody:read custody:sign"
    dump = " ".join(str(value) for value in session.execute(text("SELECT * FROM api_keys")).one())
    assert secret not in dump
    assert secret not in repr(stored)


@SQLITE_ONLY
def test_authenticate_names_the_key_and_its_scopes(session: Session, issue: Issue):
    token = issue("custody:approve", name="alice")
    client = authenticate(session, token)
    assert client is not None
    assert (client.name, client.scopes, client.actor) == (
        "alice",
        frozenset({"custody:approve"}),
        f"api-key:{token.split('_')[1]}",
    )
    assert authenticate(session, token + "x") is None


@SQLITE_ONLY
def test_keys_never_reach_the_logs(client: TestClient, issue: Issue, caplog: pytest.LogCaptureFixture):
    token = issue("custody:read")
    secret = token.split("_", 2)[2]
    with caplog.at_level(logging.DEBUG):
        client.get("/v1/custody/audit", headers={"Authorization": f"Bearer {token}"})
        client.get("/v1/custody/audit", headers={"Authorization": f"Bearer {token}x"})
    logged = "\n".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    assert "/v1/custody/audit" in logged  # the access log did log the requests
    assert secret not in logged


@pytest.mark.parametrize(
    ("text", "scopes"),
    [
        ("custody:sign,custody:read", ("custody:read", "custody:sign")),
        (" custody:admin , custody:admin ", ("custody:admin",)),
    ],
)
def test_scopes_parse_into_canonical_order(text: str, scopes: tuple[str, ...]):
    assert parse_scopes(text) == scopes


@pytest.mark.parametrize("text", ["", "custody:read,custody:everything", "admin"])
def test_unknown_or_no_scopes_are_refused(text: str):
    with pytest.raises(ApiKeyError):
        parse_scopes(text)


def test_the_cli_creates_lists_and_revokes_keys(settings: ApiSettings):
    runner = CliRunner(mix_stderr=False)
    created = runner.invoke(
        apikeys.main, ["create", "--name", "desk", "--scopes", "custody:read,custody:sign"], obj=settings
    )
    assert created.exit_code == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("tpw_")
    key_id = token.split("_")[1]
    assert key_id in created.stderr

    listed = runner.invoke(apikeys.main, ["list"], obj=settings)
    assert listed.exit_code == 0
    assert key_id in listed.stdout
    assert "custody:read,custody:sign" in listed.stdout
    assert token.split("_", 2)[2] not in listed.output

    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            assert authenticate(session, token) is not None
        revoked = runner.invoke(apikeys.main, ["revoke", key_id], obj=settings)
        assert revoked.exit_code == 0, revoked.stderr
        with Session(engine) as session:
            assert authenticate(session, token) is None
    finally:
        engine.dispose()
    again = runner.invoke(apikeys.main, ["revoke", key_id], obj=settings)
    assert "revoked already" in again.stdout

    audit = [(r.action, r.subject) for r in AuditLog.open_file(settings.custody_audit_path).records()]
    assert audit == [("api-key.created", f"api-key:{key_id}"), ("api-key.revoked", f"api-key:{key_id}")]


@SQLITE_ONLY
def test_the_cli_refuses_unknown_scopes_and_keys(settings: ApiSettings):
    runner = CliRunner(mix_stderr=False)
    bad_scope = runner.invoke(
        apikeys.main, ["create", "--name", "x", "--scopes", "custody:all"], obj=settings
    )
    assert bad_scope.exit_code == 2
    assert "custody:all" in bad_scope.stderr
    unknown = runner.invoke(apikeys.main, ["revoke", "0123456789abcdef"], obj=settings)
    assert unknown.exit_code == 1
    assert "0123456789abcdef" in unknown.stderr


@SQLITE_ONLY
def test_openapi_documents_the_key_and_the_idempotency_header_on_custody_routes(app: FastAPI):
    schema = app.openapi()
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    for method, path, scope in ROUTES:
        operation = schema["paths"][template(path)][method.lower()]
        assert operation["security"] == [{"ApiKey": []}]
        assert scope in operation["description"]
        assert {"401", "403"} <= set(operation["responses"])
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        if method == "POST":
            assert headers == [{**headers[0], "name": "Idempotency-Key", "required": True}], path
            assert {"400", "409"} <= set(operation["responses"])
        else:
            assert headers == []
