"""`api.pagination`: cursors round-trip, and anything else offered as one is refused naming `cursor`."""

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest

from api.pagination import MAX_KEY_INT, InvalidCursor, Listing, key_part

REQUESTS = Listing("requests", (datetime, str))
PLANS = Listing("plans", (int,))
MOMENT = datetime(2026, 12, 6, 20, 1, 2, 345678, tzinfo=UTC)


def _forge(fields: object) -> str:
    """A cursor with a right check over the payload `fields`: the check is no secret, anyone can do this."""
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    tag = hashlib.sha256(b"tpwallet-cursor/v1\x00" + payload).digest()[:8]
    return base64.urlsafe_b64encode(tag + payload).rstrip(b"=").decode()


def test_a_cursor_round_trips_its_key_and_is_url_safe() -> None:
    cursor = REQUESTS.encode([MOMENT, "0xab"], {"status": "pending"})
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    key = REQUESTS.decode(cursor, {"status": "pending"})
    assert key == (MOMENT, "0xab")
    assert key is not None
    assert key_part(key, 0, datetime) == MOMENT
    assert REQUESTS.decode(None, {"status": "pending"}) is None


def test_a_page_holds_the_limit_and_says_whether_more_follow() -> None:
    page = PLANS.page([1, 2, 3], 2, lambda plan: (plan,), cursor=None)
    assert (page.data, page.has_more) == ([1, 2], True)
    assert PLANS.decode(page.next_cursor) == (2,)
    last = PLANS.page([3], 2, lambda plan: (plan,), cursor=page.next_cursor)
    assert (last.data, last.has_more, PLANS.decode(last.next_cursor)) == ([3], False, (3,))
    empty = PLANS.page(list[int](), 2, lambda plan: (plan,), cursor=last.next_cursor)
    assert (empty.data, empty.has_more, empty.next_cursor) == ([], False, last.next_cursor)


def _flip(cursor: str, index: int) -> str:
    replacement = "A" if cursor[index] != "A" else "B"
    return cursor[:index] + replacement + cursor[index + 1 :]


def test_an_edited_cursor_is_refused_whichever_character_changed() -> None:
    cursor = PLANS.encode([41])
    for index in range(len(cursor)):
        with pytest.raises(InvalidCursor) as refused:
            PLANS.decode(_flip(cursor, index))
    assert refused.value.status == 400
    assert refused.value.extensions["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    "offered",
    ["", "!!!!", "not a cursor", base64.urlsafe_b64encode(b"short").decode(), "A" * 400],
)
def test_garbage_is_refused(offered: str) -> None:
    with pytest.raises(InvalidCursor):
        PLANS.decode(offered)


def test_a_cursor_of_another_list_or_other_filters_is_refused() -> None:
    with pytest.raises(InvalidCursor, match="another list"):
        PLANS.decode(REQUESTS.encode([MOMENT, "x"]))
    with pytest.raises(InvalidCursor, match="other filters"):
        REQUESTS.decode(REQUESTS.encode([MOMENT, "x"], {"status": "pending"}), {"status": "signed"})


@pytest.mark.parametrize(
    "fields",
    [
        {"v": 2, "l": "plans", "f": {}, "k": [1]},  # a future version
        {"v": 1, "l": "plans", "f": {}, "k": [True]},  # a bool is no key
        {"v": 1, "l": "plans", "f": {}, "k": [-1]},
        {"v": 1, "l": "plans", "f": {}, "k": [MAX_KEY_INT + 1]},  # past any column
        {"v": 1, "l": "plans", "f": {}, "k": ["1"]},
        {"v": 1, "l": "plans", "f": {}, "k": [1, 2]},
        {"v": 1, "l": "plans", "f": {}},
        [1],
    ],
)
def test_a_well_checked_cursor_with_a_bad_payload_is_refused(fields: object) -> None:
    with pytest.raises(InvalidCursor):
        PLANS.decode(_forge(fields))


@pytest.mark.parametrize("moment", [{"t": "yesterday"}, {"t": "2026-12-06T20:00:00"}, {"x": "1"}, "2026"])
def test_a_time_key_must_be_an_aware_iso_time(moment: object) -> None:
    with pytest.raises(InvalidCursor):
        REQUESTS.decode(_forge({"v": 1, "l": "requests", "f": {}, "k": [moment, "x"]}))
