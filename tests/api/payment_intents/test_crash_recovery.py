"""A POST that dies after its step and before its stored answer: the step and the answer commit together,
so the retry with the same Idempotency-Key runs afresh (the rail answering its own key as before) and
answers what the first would have, with one intent and one set of ledger transfers; later retries replay.

The crash is `Progress.finish`'s hook raising once, after the step's writes and before the answer's: on
a backend where the step committed on its own, the retry would make a second intent or answer 409.
"""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from api.idempotency.progress import Progress
from api.settings import ApiSettings
from ledger.check import verify
from ledger.schema import transfers
from payments.intents.schema import payment_intents, payment_refunds
from tests.api.payment_intents.conftest import Caller
from tests.helpers.db import engine_on

INTENTS = "/v1/payment-intents"
CREATE = {"amount": "10000", "currency": "EUR", "capture_method": "manual", "payment_method": "pm_ok"}


class Crash(RuntimeError):
    """The process dying between the step and its stored answer."""


class CrashOnce:
    """Armed, the next stored answer's hook raises instead of writing, once."""

    def __init__(self) -> None:
        self.armed = False

    def __call__(self) -> None:
        self.armed = True


@pytest.fixture
def crash_once(monkeypatch: pytest.MonkeyPatch) -> CrashOnce:
    crash = CrashOnce()
    real_finish = Progress.finish

    def finish(self: Progress, view: Callable[[Any], Any]) -> Callable[[Any], None]:
        record = real_finish(self, view)

        def crashing(row: Any) -> None:
            if crash.armed:
                crash.armed = False
                raise Crash("the process died before the answer was stored")
            record(row)

        return crashing

    monkeypatch.setattr(Progress, "finish", finish)
    return crash


def _counts(settings: ApiSettings) -> tuple[int, int, int]:
    """How many intents, refunds and ledger transfers there are."""
    with engine_on(settings.database_url) as engine, engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.scalar(select(func.count()).select_from(table)) or 0
            for table in (payment_intents, payment_refunds, transfers)
        )


def _created(caller: Caller) -> dict[str, Any]:
    response = caller.post(INTENTS, CREATE)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


Step = tuple[str, dict[str, Any], int]
"""A POST's path, body and status."""


def _create(_: Caller, __: str) -> Step:
    return INTENTS, CREATE, 201


def _confirm(_: Caller, intent_id: str) -> Step:
    return f"{INTENTS}/{intent_id}/confirm", {}, 200


def _capture(caller: Caller, intent_id: str) -> Step:
    assert caller.post(f"{INTENTS}/{intent_id}/confirm").status_code == 200
    return f"{INTENTS}/{intent_id}/capture", {"amount_to_capture": "6000"}, 200


def _cancel(caller: Caller, intent_id: str) -> Step:
    assert caller.post(f"{INTENTS}/{intent_id}/confirm").status_code == 200  # a held authorization
    return f"{INTENTS}/{intent_id}/cancel", {"cancellation_reason": "requested_by_customer"}, 200


def _refund(caller: Caller, intent_id: str) -> Step:
    assert caller.post(f"{INTENTS}/{intent_id}/confirm").status_code == 200
    assert caller.post(f"{INTENTS}/{intent_id}/capture").status_code == 200
    return "/v1/refunds", {"payment_intent": intent_id, "amount": "2500"}, 201


@pytest.fixture(params=[_create, _confirm, _capture, _cancel, _refund], ids=lambda step: step.__name__[1:])
def prepare(request: pytest.FixtureRequest) -> Callable[[Caller, str], Step]:
    """Bring an intent to where the step applies, and name the step."""
    prepared: Callable[[Caller, str], Step] = request.param
    return prepared


def _run(
    caller: Caller,
    settings: ApiSettings,
    prepare: Callable[[Caller, str], Step],
    crash: CrashOnce | None = None,
) -> tuple[dict[str, Any], tuple[int, int, int]]:
    """The step on a new intent, crashed once first (with `crash`) then retried with the
    same key: its answer, and how many intents, refunds and transfers it added (with its intent's own)."""
    before = _counts(settings)
    intent_id = _created(caller)["id"]
    path, body, status = prepare(caller, intent_id)
    key = f"crash-{caller.keys}"
    if crash is not None:
        crash()
        assert caller.post(path, body, key=key).status_code == 500
        assert not crash.armed  # it did crash
    answer = caller.post(path, body, key=key)
    assert answer.status_code == status, answer.text
    replay = caller.post(path, body, key=key)
    assert (replay.status_code, replay.json()) == (status, answer.json())
    assert replay.headers["Idempotent-Replayed"] == "true"
    after = _counts(settings)
    return answer.json(), (after[0] - before[0], after[1] - before[1], after[2] - before[2])


def test_a_retry_after_a_crash_answers_once_and_moves_money_once(
    merchant: Caller,
    api_settings: ApiSettings,
    prepare: Callable[[Caller, str], Step],
    crash_once: CrashOnce,
) -> None:
    clean, clean_added = _run(merchant, api_settings, prepare)
    crashed, crashed_added = _run(merchant, api_settings, prepare, crash_once)
    assert crashed_added == clean_added  # one intent (two for create: its own), one refund, one journal
    same = {name: value for name, value in clean.items() if name not in ("id", "created", "payment_intent")}
    assert {name: crashed[name] for name in same} == same
    resource = "/v1/refunds" if clean["object"] == "refund" else INTENTS
    assert merchant.get(f"{resource}/{crashed['id']}").json() == crashed
    with engine_on(api_settings.database_url) as engine:
        assert verify(engine) == []
