"""`/v1/factors` through HTTP on SQLite and PostgreSQL, for a signed-in customer: enrol, verify and revoke
each factor; factor proofs for a step-up; a factor change guarded by a recent sign-in or a proof; lockout
as 423 with Retry-After; and the outsiders refused: another customer, a revoked session, a reused code,
bad input named by its field."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from tests.api.factors.conftest import FAILURES, Customer
from tests.api.identity.conftest import Clock
from tests.helpers.problems import fields_of, problem_of


def test_a_customer_starts_with_no_factor(alice: Customer) -> None:
    response = alice.get()
    assert response.status_code == 200, response.text
    assert alice.statuses() == {
        "totp": "not_enrolled",
        "payment_password": "not_enrolled",
        "recovery_code": "not_enrolled",
    }


def test_totp_enrols_pending_and_a_first_code_activates_it(alice: Customer) -> None:
    enrolment = alice.enrol_totp()
    assert enrolment["provisioning_uri"].startswith("otpauth://totp/TPWallet:alice%40example.com?")
    assert enrolment["secret"] in enrolment["provisioning_uri"]
    assert alice.statuses()["totp"] == "pending"
    confirmed = alice.post("/totp/verify", {"code": alice.code()})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["proof"] is None  # no purpose, no proof
    assert alice.statuses()["totp"] == "active"
    again = problem_of(alice.post("/totp"), 409, "factor-already-enrolled")
    assert again["factor"] == "totp"


def test_a_totp_code_is_accepted_once(alice: Customer) -> None:
    alice.activate_totp()
    alice.clock.now += 30
    code = alice.code()
    assert alice.post("/totp/verify", {"code": code}).status_code == 200
    reused = problem_of(alice.post("/totp/verify", {"code": code}), 422, "factor-verification-failed")
    assert fields_of(reused) == ["code"]
    # the previous step's code is within the window but older than the one used: refused too
    older = alice.post("/totp/verify", {"code": alice.code(-30)})
    assert fields_of(problem_of(older, 422, "factor-verification-failed")) == ["code"]


def test_wrong_codes_lock_the_factor_with_retry_after(alice: Customer, clock: Clock) -> None:
    alice.activate_totp()
    clock.now += 30
    right = alice.code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(FAILURES - 1):
        problem_of(alice.post("/totp/verify", {"code": wrong}), 422, "factor-verification-failed")
    locking = problem_of(alice.post("/totp/verify", {"code": wrong}), 423, "factor-locked")
    assert locking["locked_until"] == clock.now + 60
    assert fields_of(locking) == ["code"]
    refused = alice.post("/totp/verify", {"code": right})  # the right code too, while locked
    assert problem_of(refused, 423, "factor-locked")["locked_until"] == clock.now + 60
    assert refused.headers["retry-after"] == "60"
    clock.now += 20
    assert alice.post("/totp/verify", {"code": right}).headers["retry-after"] == "40"
    [totp] = [entry for entry in alice.get().json()["data"] if entry["factor"] == "totp"]
    assert totp["locked_until"] == clock.now + 40
    clock.now += 40
    assert alice.post("/totp/verify", {"code": alice.code()}).status_code == 200


def test_a_verification_with_a_purpose_answers_a_single_use_proof(alice: Customer, clock: Clock) -> None:
    alice.activate_totp()
    clock.now += 30
    answer = alice.post(
        "/totp/verify", {"code": alice.code(), "purpose": "payment", "challenge": "pi_123"}
    ).json()
    assert answer["factor"] == "totp"
    assert answer["proof"]["purpose"] == "payment"
    assert answer["proof"]["challenge"] == "pi_123"
    assert answer["proof"]["expires_at"] == clock.now + 120
    assert answer["proof"]["token"].startswith("tpwfp_")


def test_a_factor_change_needs_a_recent_sign_in_or_a_proof_for_it(alice: Customer, clock: Clock) -> None:
    alice.activate_totp()
    clock.now += 301  # the sign-in is no longer recent
    refused = problem_of(alice.delete("totp"), 403, "factor-change-not-authorized")
    assert fields_of(refused) == ["TPW-Factor-Proof"]
    assert "revoke:totp" in refused["detail"]
    problem_of(alice.post("/recovery_code"), 403, "factor-change-not-authorized")

    for_another_change = alice.proof("factor_change", "revoke:payment_password")
    problem_of(alice.delete("totp", for_another_change), 403, "factor-change-not-authorized")
    for_a_payment = alice.proof("payment", "revoke:totp")
    problem_of(alice.delete("totp", for_a_payment), 403, "factor-change-not-authorized")

    codes = alice.post("/recovery_code", proof=alice.proof("factor_change", "enrol:recovery_code"))
    assert codes.status_code == 201, codes.text
    proof = alice.proof("factor_change", "revoke:totp")
    assert alice.delete("totp", proof).status_code == 204
    assert alice.statuses()["totp"] == "not_enrolled"
    alice.browser.sign_in()  # a fresh sign-in: a change within the window needs no proof
    alice.enrol_totp()
    replayed = alice.delete("totp", proof)  # but a proof sent is checked: this one is spent
    problem_of(replayed, 403, "factor-change-not-authorized")
    assert alice.delete("totp").status_code == 204


def test_the_payment_password_is_set_verified_and_revoked(alice: Customer) -> None:
    weak = problem_of(alice.post("/payment_password", {"password": "123456"}), 422, "validation-error")
    assert fields_of(weak) == ["password"]
    created = alice.post("/payment_password", {"password": "correct horse"})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "active"
    wrong = alice.post("/payment_password/verify", {"password": "wrong horse"})
    assert fields_of(problem_of(wrong, 422, "factor-verification-failed")) == ["password"]
    right = alice.post(
        "/payment_password/verify", {"password": "correct horse", "purpose": "payment", "challenge": "pi_1"}
    )
    assert right.status_code == 200, right.text
    assert right.json()["proof"]["token"].startswith("tpwfp_")
    assert alice.delete("payment_password").status_code == 204
    gone = alice.post("/payment_password/verify", {"password": "correct horse"})
    problem_of(gone, 404, "factor-not-enrolled")


def test_recovery_codes_are_shown_once_and_each_works_once(alice: Customer) -> None:
    generated = alice.post("/recovery_code")
    assert generated.status_code == 201, generated.text
    codes = generated.json()["codes"]
    assert len(set(codes)) == 10
    assert alice.post("/recovery_code/verify", {"recovery_code": codes[0].upper()}).status_code == 200
    spent = alice.post("/recovery_code/verify", {"recovery_code": codes[0]})
    assert fields_of(problem_of(spent, 422, "factor-verification-failed")) == ["recovery_code"]
    [entry] = [entry for entry in alice.get().json()["data"] if entry["factor"] == "recovery_code"]
    assert (entry["status"], entry["remaining"]) == ("active", 9)
    regenerated = alice.post("/recovery_code").json()["codes"]
    old = alice.post("/recovery_code/verify", {"recovery_code": codes[1]})
    problem_of(old, 422, "factor-verification-failed")
    assert alice.post("/recovery_code/verify", {"recovery_code": regenerated[0]}).status_code == 200


def test_another_customers_factors_are_out_of_reach(alice: Customer, bob: Customer) -> None:
    alice.activate_totp()
    assert alice.post("/payment_password", {"password": "alice's secret"}).status_code == 201
    assert set(bob.statuses().values()) == {"not_enrolled"}
    problem_of(bob.delete("totp"), 404, "factor-not-enrolled")
    problem_of(bob.delete("payment_password"), 404, "factor-not-enrolled")
    problem_of(bob.post("/totp/verify", {"code": alice.code()}), 404, "factor-not-enrolled")
    guessed = bob.post("/payment_password/verify", {"password": "alice's secret"})
    problem_of(guessed, 404, "factor-not-enrolled")
    assert alice.statuses()["totp"] == "active"
    alices_proof = alice.proof("factor_change", "enrol:totp")
    bob.clock.now += 301  # Bob's sign-in is old: only a proof would do, and Alice's is not his
    problem_of(bob.post("/totp", proof=alices_proof), 403, "factor-change-not-authorized")


def test_a_stolen_then_revoked_session_is_refused(alice: Customer, client: TestClient) -> None:
    stolen = alice.browser.session["access_token"]
    assert client.get("/v1/factors", headers={"Authorization": f"Bearer {stolen}"}).status_code == 200
    assert client.post("/v1/auth/logout", headers=alice.browser.bearer()).status_code == 204
    for response in (
        client.get("/v1/factors", headers={"Authorization": f"Bearer {stolen}"}),
        client.post("/v1/factors/totp", headers={"Authorization": f"Bearer {stolen}"}),
        client.delete("/v1/factors/totp", headers={"Authorization": f"Bearer {stolen}"}),
    ):
        problem_of(response, 401, "session-refused")
        assert response.headers["www-authenticate"].startswith("Bearer")
    problem_of(client.get("/v1/factors"), 401, "session-refused")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/totp/verify", {"code": "12ab56"}, "code"),
        ("/totp/verify", {}, "code"),
        ("/totp/verify", {"code": "123456", "purpose": "Pay Now"}, "purpose"),
        ("/totp/verify", {"code": "123456", "purpose": "payment", "challenge": "a b"}, "challenge"),
        ("/payment_password", {"password": ""}, "password"),
        ("/payment_password", {"password": "x" * 129}, "password"),
        ("/recovery_code/verify", {"recovery_code": ""}, "recovery_code"),
        ("/totp", {"account_name": ""}, "account_name"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    alice: Customer, path: str, body: dict[str, Any], field: str
) -> None:
    document = problem_of(alice.post(path, body), 422, "validation-error")
    assert [name.split(".")[-1] for name in fields_of(document)] == [field]


def test_an_unknown_factor_is_refused_naming_it(alice: Customer) -> None:
    document = problem_of(alice.delete("sms"), 422, "validation-error")
    assert [name.split(".")[-1] for name in fields_of(document)] == ["factor"]


def test_without_a_factors_key_the_routes_answer_503(
    alice: Customer, settings: ApiSettings, client: TestClient
) -> None:
    settings.factor_key_path.unlink()
    problem_of(alice.get(), 503, "factors-unavailable")
