"""/v1/privacy: my export and erasure with my session, an operator's on my behalf with `privacy:admin`, the
suppressed report; and outsiders: no session, an API key in place of a session, a key without the scope,
another customer."""

import base64
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from api.privacy.__main__ import main as privacy_cli
from api.privacy.service import now
from api.settings import ApiSettings
from payments.rails.stablecoin.schema import stablecoin_payments
from risk.factors.lockout import LockoutPolicy
from risk.factors.passwords import PaymentPassword
from risk.factors.recovery import RecoveryCodes
from risk.factors.sealing import SecretBox
from risk.factors.totp import TotpFactor, TotpParameters, code_at
from risk.identity.schema import siwe_nonces
from risk.privacy import analytics
from risk.privacy.analytics import Event, EventKind
from risk.privacy.pseudonyms import Pseudonymizer
from tests.api.identity.conftest import Browser, problem_fields
from tests.helpers.db import engine_on
from tests.risk.identity.conftest import START

SignIn = Callable[[], Browser]
Operator = Callable[..., dict[str, str]]


def _subject(browser: Browser) -> str:
    return str(browser.whoami().json()["subject_id"])


def _paid(settings: ApiSettings, payer: str, tx: int) -> None:
    """A stablecoin payment from `payer`, stored lower-case: the export matches addresses ignoring case."""
    with engine_on(settings.database_url) as engine, engine.begin() as connection:
        connection.execute(
            insert(stablecoin_payments).values(
                chain_id=31337, tx_hash=f"0x{tx:064x}", log_index=0, block_number=1,
                block_hash="0x" + "b" * 64, paid_at=START, intent_key="0x" + "c" * 64,
                payer=payer.lower(), token="0x" + "d" * 40, token_amount="1000000", outcome="applied",
                recorded_at=START,
            )
        )  # fmt: skip


def test_i_export_my_data_and_only_mine(
    client: TestClient, sign_in: SignIn, operator: Operator, settings: ApiSettings
):
    alice, bob = sign_in(), sign_in()
    _paid(settings, alice.wallet.address, 1)
    _paid(settings, bob.wallet.address, 2)
    answer = client.get("/v1/privacy/export", headers=alice.bearer())
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["subject_id"] == _subject(alice)
    assert [row["address"] for row in data["ethereum_addresses"]] == [alice.wallet.address]
    assert bob.wallet.address not in answer.text
    assert _subject(bob) not in answer.text
    assert data["export_id"].startswith("pex_")
    assert [event["kind"] for event in data["analytics_events"]] == ["login"]  # under a pseudonym
    assert [payment["tx_hash"] for payment in data["stablecoin_payments"]] == [f"0x{1:064x}"]


def test_no_session_or_an_api_key_in_its_place_is_refused(client: TestClient, operator: Operator):
    assert client.get("/v1/privacy/export").status_code == 401
    admin = operator("privacy:admin")
    refused = client.post("/v1/privacy/erasure", json={}, headers=admin)
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("session-refused")


def test_i_erase_myself_once_and_another_customer_is_untouched(
    client: TestClient, sign_in: SignIn, operator: Operator
):
    alice, bob = sign_in(), sign_in()
    alice_id = _subject(alice)
    erased = client.post("/v1/privacy/erasure", json={}, headers=alice.bearer())
    assert erased.status_code == 200, erased.text
    record = erased.json()
    assert record["subject_id"] == alice_id
    assert record["requested_by"] == "self"
    assert record["erased"]["identity_ethereum_addresses"] == 1
    assert "ledger_accounts" in record["kept"]
    assert alice.whoami().status_code == 401  # her sessions went with the rest
    assert bob.whoami().status_code == 200
    admin = operator("privacy:admin")
    again = client.post(f"/v1/privacy/subjects/{alice_id}/erasure", headers=admin)
    assert again.status_code == 200
    assert again.json() == record
    left = client.get(f"/v1/privacy/subjects/{alice_id}/export", headers=admin).json()
    assert left["ethereum_addresses"] == []
    assert left["sessions"] == []
    assert client.get("/v1/privacy/export", headers=bob.bearer()).json()["ethereum_addresses"]
    # signing in again with the erased wallet starts a new, unrelated customer
    alice.sign_in()
    assert _subject(alice) != alice_id


def test_an_enrolled_factor_must_confirm_my_erasure(
    client: TestClient, sign_in: SignIn, settings: ApiSettings
):
    alice = sign_in()
    with engine_on(settings.database_url) as engine:
        PaymentPassword(engine, LockoutPolicy(), lambda: START).set(_subject(alice), "correct horse 42")
    missing = client.post("/v1/privacy/erasure", json={}, headers=alice.bearer())
    assert missing.status_code == 403
    assert problem_fields(missing) == ["factor"]
    wrong = client.post(
        "/v1/privacy/erasure",
        json={"factor": "payment_password", "secret": "wrong horse 42"},
        headers=alice.bearer(),
    )
    assert wrong.status_code == 403
    assert problem_fields(wrong) == ["secret"]
    unknown = client.post(
        "/v1/privacy/erasure", json={"factor": "sms", "secret": "1"}, headers=alice.bearer()
    )
    assert unknown.status_code == 422
    assert "factor" in problem_fields(unknown)[0]
    assert alice.whoami().status_code == 200  # nothing erased yet
    right = client.post(
        "/v1/privacy/erasure",
        json={"factor": "payment_password", "secret": "correct horse 42"},
        headers=alice.bearer(),
    )
    assert right.status_code == 200, right.text
    assert right.json()["erased"]["risk_factor_payment_passwords"] == 1


def test_acting_for_a_customer_needs_the_privacy_scope(
    client: TestClient, sign_in: SignIn, operator: Operator
):
    alice_id = _subject(sign_in())
    devices_only = operator("devices:admin")
    for method, path in (
        ("GET", f"/v1/privacy/subjects/{alice_id}/export"),
        ("POST", f"/v1/privacy/subjects/{alice_id}/erasure"),
        ("GET", "/v1/privacy/analytics/report?since=2027-01-01&until=2027-01-31"),
    ):
        assert client.request(method, path, headers=devices_only).status_code == 403, path
    bad = client.get("/v1/privacy/subjects/not%20an%20id/export", headers=operator("privacy:admin"))
    assert bad.status_code == 422
    assert problem_fields(bad) == ["subject_id"]


def test_the_report_suppresses_small_cells(client: TestClient, settings: ApiSettings, operator: Operator):
    pseudonymizer = Pseudonymizer.from_file(settings.privacy_analytics_key_path)
    with engine_on(settings.database_url) as engine, engine.begin() as connection:
        for i in range(11):
            event = Event(EventKind.PAYMENT, f"idn_{i}", START, country="DE", currency="EUR", amount=250)
            analytics.record(connection, pseudonymizer, event)
        for i in range(12):
            event = Event(
                EventKind.PAYMENT, f"idn_{i}", START + 86400, country="DE", currency="EUR", amount=1
            )
            analytics.record(connection, pseudonymizer, event)
        analytics.record(connection, pseudonymizer, Event(EventKind.PAYMENT, "idn_x", START, country="FR",
                                                          currency="EUR", amount=99))  # fmt: skip
    admin = operator("privacy:admin")
    answer = client.get(
        "/v1/privacy/analytics/report?since=2027-01-15&until=2027-01-16&currency=EUR&kind=payment",
        headers=admin,
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    cells = {(cell["row"], cell["column"]): cell for cell in report["cells"]}
    assert report["k"] == 10
    assert cells["2027-01-15", "FR"]["suppressed"]
    assert cells["2027-01-15", "FR"]["amount"] is None
    assert sum(cell["suppressed"] for cell in report["cells"] if cell["row"] == "2027-01-15") >= 2
    assert cells["*", "*"] == {"row": "*", "column": "*", "events": 24, "amount": "2861", "suppressed": False}
    backwards = client.get("/v1/privacy/analytics/report?since=2027-01-16&until=2027-01-15", headers=admin)
    assert backwards.status_code == 422
    assert problem_fields(backwards) == ["until"]
    malformed = client.get("/v1/privacy/analytics/report?since=yesterday&until=2027-01-15", headers=admin)
    assert malformed.status_code == 422
    assert problem_fields(malformed) == ["since"]


def test_the_report_needs_its_key(client: TestClient, settings: ApiSettings, operator: Operator):
    settings.privacy_analytics_key_path.unlink()
    answer = client.get(
        "/v1/privacy/analytics/report?since=2027-01-15&until=2027-01-16", headers=operator("privacy:admin")
    )
    assert answer.status_code == 503


def test_the_retention_command_removes_the_expired(
    client: TestClient, settings: ApiSettings, capsys: pytest.CaptureFixture[str]
):
    with engine_on(settings.database_url) as engine, engine.begin() as connection:
        connection.execute(insert(siwe_nonces).values(nonce="stale", expires_at=START - 1))
    assert privacy_cli(["retention", "--now", str(START)], settings) == 0
    assert "identity_siwe_nonces\t1" in capsys.readouterr().out
    assert privacy_cli(["retention", "--now", str(START)], settings) == 0
    assert "identity_siwe_nonces\t0" in capsys.readouterr().out


def test_locking_my_factor_does_not_let_a_session_erase_alone(
    client: TestClient, sign_in: SignIn, settings: ApiSettings
):
    alice = sign_in()
    with engine_on(settings.database_url) as engine:
        PaymentPassword(engine, LockoutPolicy(), lambda: START).set(_subject(alice), "correct horse 42")
    wrong = {"factor": "payment_password", "secret": "wrong horse 42"}
    for _ in range(settings.factor_lockout_failures):
        assert client.post("/v1/privacy/erasure", json=wrong, headers=alice.bearer()).status_code == 403
    bare = client.post("/v1/privacy/erasure", json={}, headers=alice.bearer())
    assert bare.status_code == 403
    assert problem_fields(bare) == ["factor"]
    right = {"factor": "payment_password", "secret": "correct horse 42"}
    locked = client.post("/v1/privacy/erasure", json=right, headers=alice.bearer())
    assert locked.status_code == 403  # locked: the right password too, until the lock ends
    assert problem_fields(locked) == ["secret"]
    assert alice.whoami().status_code == 200


def test_a_totp_code_or_a_recovery_code_confirms_my_erasure(
    client: TestClient, sign_in: SignIn, settings: ApiSettings
):
    alice, bob = sign_in(), sign_in()
    with engine_on(settings.database_url) as engine:
        totp = TotpFactor(engine, SecretBox.from_file(settings.factor_key_path), LockoutPolicy(), now,
                          issuer="TPWallet")  # fmt: skip
        enrolment = totp.enrol(_subject(alice), "alice")
        secret = base64.b32decode(enrolment.secret)
        totp.confirm(_subject(alice), code_at(secret, now() - 30, TotpParameters()))
        codes = RecoveryCodes(engine, LockoutPolicy(), now).generate(_subject(bob)).codes
    code = code_at(secret, now(), TotpParameters())
    by_totp = client.post(
        "/v1/privacy/erasure", json={"factor": "totp", "secret": code}, headers=alice.bearer()
    )
    assert by_totp.status_code == 200, by_totp.text
    assert by_totp.json()["erased"]["risk_factor_totp"] == 1
    by_code = client.post(
        "/v1/privacy/erasure", json={"factor": "recovery_code", "secret": codes[0]}, headers=bob.bearer()
    )
    assert by_code.status_code == 200, by_code.text
    assert by_code.json()["erased"]["risk_factor_recovery_codes"] == len(codes)


def test_i_set_and_correct_my_contact_details_apart_from_payments(client: TestClient, sign_in: SignIn):
    alice, bob = sign_in(), sign_in()
    contact = {"full_name": "Alice Doe", "email": "alice@example.com", "phone": "+4915112345678",
               "birth_date": "1990-01-02", "residence_country": "DE"}  # fmt: skip
    put = client.put("/v1/privacy/details", json=contact, headers=alice.bearer())
    assert put.status_code == 200, put.text
    assert put.json()["email"] == "alice@example.com"
    assert put.json()["document_on_file"] is False
    corrected = client.put("/v1/privacy/details", json={"full_name": "Alice Roe"}, headers=alice.bearer())
    assert corrected.json()["full_name"] == "Alice Roe"
    assert corrected.json()["email"] is None  # replaced whole
    assert client.get("/v1/privacy/details", headers=bob.bearer()).json()["full_name"] is None
    assert client.get("/v1/privacy/details").status_code == 401
    exported = client.get("/v1/privacy/export", headers=alice.bearer()).json()
    assert exported["personal_details"]["full_name"] == "Alice Roe"


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("phone", "0151 123"), ("birth_date", "2999-01-01"),
     ("residence_country", "de"), ("full_name", "")],
)  # fmt: skip
def test_bad_contact_details_are_refused_naming_the_field(
    client: TestClient, sign_in: SignIn, field: str, value: str
):
    answer = client.put("/v1/privacy/details", json={field: value}, headers=sign_in().bearer())
    assert answer.status_code == 422
    assert field in problem_fields(answer)[0]
