"""`POST /v1/factors/payment_password/change`: the current password proven, under the lockout; outsiders
(no session, another customer's session, a wrong current password, a locked factor) change nothing."""

from fastapi.testclient import TestClient

from tests.api.factors.conftest import FAILURES, Customer
from tests.helpers.problems import fields_of, problem_of

CHANGE = "/payment_password/change"


def _enrol(customer: Customer, password: str = "correct horse") -> None:  # noqa: S107 - a test's password
    assert customer.post("/payment_password", {"password": password}).status_code == 201


def _works(customer: Customer, password: str) -> bool:
    return customer.post("/payment_password/verify", {"password": password}).status_code == 200


def test_the_password_is_changed_with_the_current_one(alice: Customer) -> None:
    _enrol(alice)
    alice.clock.now += 301  # past the recent-login window: the current password is the proof, no factor proof
    changed = alice.post(CHANGE, {"current_password": "correct horse", "password": "battery staple"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["factor"], changed.json()["status"]) == ("payment_password", "active")
    assert _works(alice, "battery staple")
    assert not _works(alice, "correct horse")


def test_a_weak_new_password_is_refused_uncounted(alice: Customer) -> None:
    _enrol(alice)
    for _ in range(FAILURES):
        weak = alice.post(CHANGE, {"current_password": "correct horse", "password": "123456"})
        assert fields_of(problem_of(weak, 422, "validation-error")) == ["password"]
    assert _works(alice, "correct horse")  # not locked: the policy's refusal is no failed proof


def test_a_wrong_current_password_is_counted_and_locks(alice: Customer) -> None:
    _enrol(alice)
    for _ in range(FAILURES - 1):
        wrong = alice.post(CHANGE, {"current_password": "wrong horse", "password": "battery staple"})
        assert fields_of(problem_of(wrong, 422, "factor-verification-failed")) == ["current_password"]
    locking = alice.post(CHANGE, {"current_password": "wrong horse", "password": "battery staple"})
    assert problem_of(locking, 423, "factor-locked")["locked_until"] > alice.clock.now
    # locked: the right current password changes nothing either, and verifying is locked too
    locked = alice.post(CHANGE, {"current_password": "correct horse", "password": "battery staple"})
    problem_of(locked, 423, "factor-locked")
    assert "retry-after" in locked.headers
    problem_of(alice.post("/payment_password/verify", {"password": "correct horse"}), 423, "factor-locked")
    alice.clock.now += 61
    assert _works(alice, "correct horse")


def test_failures_at_verify_and_at_change_share_one_lockout(alice: Customer) -> None:
    _enrol(alice)
    for _ in range(FAILURES - 1):
        problem_of(
            alice.post("/payment_password/verify", {"password": "nope!!"}), 422, "factor-verification-failed"
        )
    last = alice.post(CHANGE, {"current_password": "nope!!", "password": "battery staple"})
    problem_of(last, 423, "factor-locked")


def test_another_customers_session_changes_only_its_own(alice: Customer, bob: Customer) -> None:
    _enrol(alice)
    stolen = bob.post(CHANGE, {"current_password": "correct horse", "password": "bob's choice"})
    problem_of(stolen, 404, "factor-not-enrolled")  # Bob has none, and Alice's is out of his reach
    _enrol(bob, "bob's own one")
    again = bob.post(CHANGE, {"current_password": "correct horse", "password": "bob's choice"})
    assert fields_of(problem_of(again, 422, "factor-verification-failed")) == ["current_password"]
    assert _works(alice, "correct horse")
    assert _works(bob, "bob's own one")


def test_a_stolen_then_revoked_session_changes_nothing(alice: Customer, client: TestClient) -> None:
    _enrol(alice)
    body = {"current_password": "correct horse", "password": "battery staple"}
    problem_of(client.post(f"/v1/factors{CHANGE}", json=body), 401, "session-refused")
    stolen = alice.browser.bearer()
    assert client.post("/v1/auth/logout", headers=stolen).status_code == 204
    problem_of(client.post(f"/v1/factors{CHANGE}", json=body, headers=stolen), 401, "session-refused")
    alice.browser.sign_in()
    assert _works(alice, "correct horse")
