"""/v1/auth/passkeys/page: the passkey page and its script are served to anyone (a customer's browser has no
API key), under a Content-Security-Policy that lets only the page's own script run and talk to its origin.
Its ceremonies run in Chromium in tests/browser/test_passkeys.py."""

import re

from fastapi.testclient import TestClient

PAGE = "/v1/auth/passkeys/page"


def _policy(header: str) -> dict[str, str]:
    return {
        directive.split()[0]: " ".join(directive.split()[1:])
        for directive in (part.strip() for part in header.split(";"))
        if directive
    }


def test_the_page_loads_only_its_own_script_and_speaks_only_to_its_origin(client: TestClient) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert _policy(page.headers["content-security-policy"]) == {
        "default-src": "'none'",
        "script-src": "'self'",
        "connect-src": "'self'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="page.js" defer>']
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', page.text))


def test_the_script_is_served_as_javascript_and_calls_only_the_passkey_routes(client: TestClient) -> None:
    script = client.get(PAGE + ".js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "content-security-policy" in script.headers
    assert set(re.findall(r'"(/v1/[^"]+)"', script.text)) == {
        "/v1/auth/passkeys/registration/options",
        "/v1/auth/passkeys/registration/verify",
        "/v1/auth/passkeys/authentication/options",
        "/v1/auth/passkeys/authentication/verify",
    }
