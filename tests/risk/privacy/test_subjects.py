"""Export and erasure of one subject: everything exported, the personal rest erased, the law's records kept,
another subject untouched, a second erasure a no-op answering the first record."""

import datetime
import threading

from sqlalchemy import Connection, Engine, Table, func, insert, select

import ledger.schema
import risk.devices.schema as devices
import risk.factors.schema as factors
import risk.identity.schema as identity
import risk.kyc.schema as kyc
from risk.privacy import analytics, details, subjects
from risk.privacy.analytics import Event, EventKind
from risk.privacy.pseudonyms import Pseudonymizer
from risk.privacy.schema import analytics_events, erasures, exports
from tests.helpers.threads import run_concurrently
from tests.risk.privacy.conftest import START

ALICE, BOB = "idn_alice", "idn_bob"


def _customer(connection: Connection, pseudonymizer: Pseudonymizer, subject: str, n: int) -> None:
    connection.execute(insert(identity.identities).values(id=subject, kind="customer", created_at=START))
    connection.execute(
        insert(identity.ethereum_addresses).values(
            address=f"0x{n:040x}", subject_id=subject, created_at=START
        )
    )
    connection.execute(
        insert(identity.sessions).values(
            id=f"ses_{subject}", subject_id=subject, method="siwe", created_at=START, expires_at=START + 60
        )
    )
    connection.execute(
        insert(identity.refresh_tokens).values(
            digest=f"{n:064x}", session_id=f"ses_{subject}", issued_at=START
        )
    )
    connection.execute(
        insert(factors.payment_passwords).values(
            subject_id=subject, password_hash="$argon2id$x", created_at=START, updated_at=START
        )
    )
    connection.execute(
        insert(devices.devices).values(
            id=f"dev_{subject}", subject_id=subject, name=f"{subject}'s phone", platform="ios",
            key_type="ed25519", public_key=b"k", key_sha256=f"{n:064x}", created_at=START,
        )
    )  # fmt: skip
    connection.execute(
        insert(devices.nonces).values(device_id=f"dev_{subject}", nonce="n" * 16, expires_at=START)
    )
    connection.execute(
        insert(devices.fingerprints).values(
            subject_id=subject, fingerprint="f" * 64, first_seen_at=START, last_seen_at=START,
            seen_count=1, last_sighting=1,
        )
    )  # fmt: skip
    connection.execute(
        insert(kyc.checks).values(
            id=f"kyc_{subject}", subject_id=subject, provider="sandbox", tier="light", status="approved",
            reasons="", created_at=START * 1000,
        )
    )  # fmt: skip
    connection.execute(
        insert(ledger.schema.accounts).values(
            id=n, currency="EUR", owner_kind="customer", owner_id=subject, code=1, flags=0,
            debits_pending=0, debits_posted=0, credits_pending=0, credits_posted=12345, timestamp=START,
        )
    )  # fmt: skip
    birth = datetime.date(1990, 1, 2)
    contact = details.Contact(f"{subject} Doe", f"{subject}@example.com", birth_date=birth)
    details.save_contact(connection, subject, contact, START)
    details.save_document(connection, subject, details.Document("passport", "X1", "DE"), START)
    analytics.record(connection, pseudonymizer, Event(EventKind.LOGIN, subject, START, country="DE"))


def _count(connection: Connection, table: Table, subject: str) -> int:
    column = table.c.owner_id if table is ledger.schema.accounts else table.c.subject_id
    return connection.scalar(select(func.count()).select_from(table).where(column == subject)) or 0


def test_the_export_holds_everything_about_me_and_nothing_secret(
    engine: Engine, pseudonymizer: Pseudonymizer
):
    with engine.begin() as connection:
        _customer(connection, pseudonymizer, ALICE, 1)
        _customer(connection, pseudonymizer, BOB, 2)
        data = subjects.export(connection, pseudonymizer, ALICE, "self", START)
        recorded = connection.scalar(
            select(func.count()).select_from(exports).where(exports.c.subject_id == ALICE)
        )
    assert recorded == 1
    assert data["identity"]["id"] == ALICE
    assert [a["address"] for a in data["ethereum_addresses"]] == [f"0x{1:040x}"]
    assert data["personal_details"]["email"] == f"{ALICE}@example.com"
    assert data["personal_details"]["birth_date"] == "1990-01-02"
    assert data["factors"] == [{"factor": "payment_password", "created_at": START}]
    assert data["devices"][0]["name"] == f"{ALICE}'s phone"
    assert data["kyc"]["checks"][0]["status"] == "approved"
    assert data["ledger_accounts"][0]["credits_posted"] == "12345"
    assert len(data["analytics_events"]) == 1
    assert "screenings" in data["withheld"]
    assert "argon2" not in repr(data)
    assert BOB not in repr(data)


def test_erasure_deletes_the_personal_rest_keeps_the_laws_records_and_is_done_once(
    engine: Engine, pseudonymizer: Pseudonymizer
):
    with engine.begin() as connection:
        _customer(connection, pseudonymizer, ALICE, 1)
        _customer(connection, pseudonymizer, BOB, 2)
    with engine.begin() as connection:
        record, did = subjects.erase(connection, pseudonymizer, ALICE, "self", START + 5)
    assert did
    assert record.id.startswith("per_")
    assert record.erased["privacy_personal_details"] == 1
    assert record.erased["identity_sessions"] == 1
    assert record.erased["privacy_analytics_events"] == 1
    assert "ledger_accounts" in record.kept
    assert "kyc_checks" in record.kept
    with engine.connect() as connection:
        for table in (identity.ethereum_addresses, identity.sessions, factors.payment_passwords,
                      devices.devices, devices.fingerprints):  # fmt: skip
            assert _count(connection, table, ALICE) == 0, table.name
            assert _count(connection, table, BOB) == 1, table.name
        assert details.load(connection, ALICE) is None
        assert details.load(connection, BOB) is not None
        assert connection.scalar(select(func.count()).select_from(identity.refresh_tokens)) == 1
        assert connection.scalar(select(func.count()).select_from(devices.nonces)) == 1
        assert connection.scalar(select(func.count()).select_from(analytics_events)) == 1
        assert _count(connection, ledger.schema.accounts, ALICE) == 1  # the books stay
        assert _count(connection, kyc.checks, ALICE) == 1  # AML records stay
    with engine.begin() as connection:
        again, did_again = subjects.erase(connection, pseudonymizer, ALICE, "key:other", START + 9)
        assert connection.scalar(select(func.count()).select_from(erasures)) == 1
    assert not did_again
    assert again == record


def test_concurrent_erasures_of_one_subject_erase_once(engine: Engine, pseudonymizer: Pseudonymizer):
    with engine.begin() as connection:
        _customer(connection, pseudonymizer, ALICE, 1)
    records: list[tuple[subjects.Erasure, bool]] = []
    lock = threading.Lock()

    def erase() -> None:
        with engine.begin() as connection:
            answer = subjects.erase(connection, pseudonymizer, ALICE, "self", START)
        with lock:
            records.append(answer)

    run_concurrently(erase, 4)
    assert len(records) == 4
    assert sum(did for _, did in records) == 1
    assert len({record.id for record, _ in records}) == 1
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(erasures)) == 1
