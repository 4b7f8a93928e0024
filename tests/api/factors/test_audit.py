"""Every factor change through `/v1/factors` is on the hash-chained risk audit log, naming the session that
made it and the factor, never a secret; a refused change records nothing."""

from api.settings import ApiSettings
from tests.api.factors.conftest import Customer
from tests.helpers.problems import problem_of
from tests.helpers.risk_audit import chained_records


def test_each_change_is_chained_naming_the_session(
    alice: Customer, bob: Customer, settings: ApiSettings
) -> None:
    alice.activate_totp()  # enrolled, then confirmed by a first code
    assert alice.post("/payment_password", {"password": "correct horse"}).status_code == 201
    changed = alice.post(
        "/payment_password/change", {"current_password": "correct horse", "password": "b4ttery"}
    )
    assert changed.status_code == 200, changed.text
    problem_of(
        alice.post("/payment_password/change", {"current_password": "wrong!", "password": "another1"}),
        422,
        "factor-verification-failed",
    )
    assert alice.post("/recovery_code").status_code == 201
    assert alice.delete("recovery_code").status_code == 204
    problem_of(bob.delete("totp"), 404, "factor-not-enrolled")  # refused: nothing recorded for Bob
    records = chained_records(
        settings.database_url, [alice.browser.session["subject_id"], bob.browser.session["subject_id"]]
    )
    assert [(record.action, record.details["factor"]) for record in records] == [
        ("risk.factor.enrolled", "totp"),
        ("risk.factor.confirmed", "totp"),
        ("risk.factor.enrolled", "payment_password"),
        ("risk.factor.changed", "payment_password"),
        ("risk.factor.enrolled", "recovery_code"),
        ("risk.factor.revoked", "recovery_code"),
    ]
    assert {record.actor for record in records} == {f"session:{alice.browser.session['session_id']}"}
    assert {record.subject for record in records} == {alice.browser.session["subject_id"]}
