"""Golden encodings of what the API stores or hands out and reads back later, possibly in another release:
the idempotency fingerprint (stored with each key: a changed encoding answers a client's honest retry after
an upgrade with 409) and pagination cursors (kept by clients: a changed encoding breaks their paging)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from api.custody.reads import AUDIT, KEYS, SIGN_REQUESTS
from api.custody.schemas import ApprovalCreate, KeyCreate, KeyRefresh
from api.idempotency.store import request_fingerprint
from api.pagination import Listing
from api.subscriptions.service import PLANS
from api.vesting.service import GRANTS
from tests.helpers.golden import assert_golden, golden_text

GOLDEN = Path(__file__).parent / "golden"
OPERATOR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"

REQUESTS: dict[str, tuple[str, str, BaseModel | None]] = {
    "create key, defaults": ("POST", "/v1/custody/keys", KeyCreate()),
    "create key, every field": (
        "POST",
        "/v1/custody/keys",
        KeyCreate(threshold=2, participants=[3, 1, 2], key_id="golden-key"),
    ),
    "refresh key": ("POST", "/v1/custody/keys/golden-key/refresh", KeyRefresh(participants=[1, 2])),
    "approve": (
        "POST",
        "/v1/custody/sign-requests/req-golden/approvals",
        ApprovalCreate(operator=OPERATOR, signature="0x" + "cd" * 64 + "1b"),
    ),
    "no body": ("POST", "/v1/custody/sign-requests/req-golden/cancel", None),
}

MOMENT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
CURSORS: dict[str, tuple[Listing, tuple[Any, ...], dict[str, Any]]] = {
    "custody keys": (KEYS, ("golden-key",), {}),
    "custody sign requests": (SIGN_REQUESTS, (MOMENT, "req-golden"), {"status": "signed", "key_id": "k"}),
    "custody audit": (AUDIT, (42,), {}),
    "subscription plans": (PLANS, (7,), {"active": True}),
    "beneficiary grants": (GRANTS, (2**63 - 1,), {"beneficiary": "0x" + "ef" * 20}),
}


def test_idempotency_fingerprints_are_golden() -> None:
    made = {name: request_fingerprint(*request) for name, request in REQUESTS.items()}

    assert_golden(GOLDEN / "idempotency-fingerprints.json", golden_text(made))


def test_pagination_cursors_are_golden_and_decode_to_their_keys() -> None:
    made = {name: listing.encode(key, filters) for name, (listing, key, filters) in CURSORS.items()}

    stored = json.loads(assert_golden(GOLDEN / "pagination-cursors.json", golden_text(made)))

    for name, (listing, key, filters) in CURSORS.items():
        assert listing.decode(stored[name], filters) == key
