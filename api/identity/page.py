"""The passkey page (`GET /v1/auth/passkeys/page`): a minimal real sign-in page for customers, and the page
the browser tests drive in headless Chromium with a virtual authenticator.

It is two static files beside this module, an HTML page and its script, served as they are (no template: the
page holds no per-request data, so nothing a request carries can be reflected into it). A passkey is bound
to the page's origin, which must be one of `webauthn_origins`, and to `webauthn_rp_id`; that is why the page
is served by the API itself and speaks only to it. Its Content-Security-Policy allows its own script and
requests to its own origin and nothing else (no inline script, no frames, no forms), so an injected script
could neither run nor carry a session away.
"""

import functools
from pathlib import Path
from typing import Final

STATIC: Final = Path(__file__).parent / "static"

HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
"""The page's and its script's security headers (`X-Content-Type-Options` comes from the middleware)."""


@functools.cache
def asset(name: str) -> str:
    """The text of the static file `name` (read once)."""
    return (STATIC / name).read_text(encoding="utf-8")
