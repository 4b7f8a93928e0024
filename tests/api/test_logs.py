"""Structured logs: one line per request with method, path, status, duration and request id; no secrets."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.logs import configure_logging


@pytest.fixture
def log_stream() -> io.StringIO:
    return io.StringIO()


def _restore_root_level(level: int) -> None:
    logging.getLogger().setLevel(level)


# The log fixtures take `app` so that they run after create_app, which installs its own handler.
def _logs_to(stream: io.StringIO, *, json_lines: bool) -> Iterator[io.StringIO]:
    """The app's logging configured to write `stream`, for the test; the root level put back after."""
    level = logging.getLogger().level
    configure_logging("INFO", json_lines=json_lines, stream=stream)
    yield stream
    _restore_root_level(level)


@pytest.fixture
def json_logs(app: FastAPI, log_stream: io.StringIO):
    yield from _logs_to(log_stream, json_lines=True)


@pytest.fixture
def keyvalue_logs(app: FastAPI, log_stream: io.StringIO):
    yield from _logs_to(log_stream, json_lines=False)


def _json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_access_line_as_json(client: TestClient, json_logs: io.StringIO):
    client.get(
        "/no/such/thing?token=query-secret",
        headers={
            "X-Request-ID": "log-1",
            "Authorization": "Bearer header-secret",
            "Cookie": "s=cookie-secret",
        },
    )
    access = [line for line in _json_lines(json_logs) if line["logger"] == "api.access"]
    assert len(access) == 1
    line = access[0]
    assert line["method"] == "GET"
    assert line["path"] == "/no/such/thing"
    assert line["status"] == 404
    assert line["request_id"] == "log-1"
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    server_lines = [line for line in json_logs.getvalue().splitlines() if '"logger": "httpx"' not in line]
    text = "\n".join(server_lines)  # (httpx is the test's client: it logs the URL it asked for)
    for secret in ("query-secret", "header-secret", "cookie-secret", "Authorization"):
        assert secret not in text


def test_every_line_of_a_request_carries_its_id(app: FastAPI, json_logs: io.StringIO):
    inner = logging.getLogger("api.test")

    def chatty() -> dict:  # a sync route: runs in the threadpool, which must see the request id too
        inner.warning("working on it", extra={"step": 1})
        return {}

    app.add_api_route("/chatty", chatty)
    with TestClient(app) as client:
        client.get("/chatty", headers={"X-Request-ID": "log-2"})
    lines = [line for line in _json_lines(json_logs) if line["request_id"] == "log-2"]
    assert [line["logger"] for line in lines] == ["api.test", "api.access"]
    assert lines[0]["msg"] == "working on it"
    assert lines[0]["step"] == 1


def test_unhandled_error_is_logged_with_its_traceback_and_request_id(app: FastAPI, json_logs: io.StringIO):
    def broken() -> None:
        raise ZeroDivisionError("inner detail for operators")

    app.add_api_route("/broken", broken)
    with TestClient(app) as client:
        assert client.get("/broken", headers={"X-Request-ID": "log-3"}).status_code == 500
    errors = [line for line in _json_lines(json_logs) if line["logger"] == "api.errors"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "log-3"
    assert "ZeroDivisionError: inner detail for operators" in errors[0]["exc"]


def test_key_value_lines(client: TestClient, keyvalue_logs: io.StringIO):
    client.get("/no/such/thing", headers={"X-Request-ID": "log-4"})
    access = [line for line in keyvalue_logs.getvalue().splitlines() if "logger=api.access" in line]
    assert len(access) == 1
    assert " method=GET path=/no/such/thing status=404 " in access[0]
    assert "request_id=log-4" in access[0]
    assert access[0].startswith("ts=")


def test_lines_outside_a_request_have_no_id(keyvalue_logs: io.StringIO):
    logging.getLogger("api.test").warning("idle", extra={"note": 'two words "quoted"'})
    line = keyvalue_logs.getvalue().splitlines()[-1]
    assert "request_id=null" in line
    assert 'note="two words \\"quoted\\""' in line
