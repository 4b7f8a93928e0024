"""The retention job removes exactly what is past its registry period, and a second run finds nothing."""

import datetime

from sqlalchemy import Connection, Engine, func, insert, select

import risk.devices.schema as devices
import risk.factors.schema as factors
import risk.identity.schema as identity
import risk.kyc.schema as kyc
import risk.screening.schema as screening
from risk.privacy import analytics, details, retention
from risk.privacy.analytics import Event, EventKind
from risk.privacy.pseudonyms import Pseudonymizer
from risk.privacy.registry import DAY, REGISTRY, YEAR
from risk.privacy.schema import analytics_events, erasures
from tests.risk.privacy.conftest import START

NOW = START + 6 * YEAR


def test_retention_removes_what_is_past_its_period_once(engine: Engine, pseudonymizer: Pseudonymizer):
    with engine.begin() as c:
        c.execute(insert(identity.identities).values(id="idn_a", kind="customer", created_at=START))
        c.execute(
            insert(identity.siwe_nonces),
            [{"nonce": "old", "expires_at": NOW - 1}, {"nonce": "new", "expires_at": NOW + 60}],
        )
        c.execute(
            insert(identity.sessions),
            [
                {
                    "id": "ses_old",
                    "subject_id": "idn_a",
                    "method": "siwe",
                    "created_at": START,
                    "expires_at": NOW - 91 * DAY,
                },
                {
                    "id": "ses_recent",
                    "subject_id": "idn_a",
                    "method": "siwe",
                    "created_at": START,
                    "expires_at": NOW - 89 * DAY,
                },
            ],
        )
        c.execute(
            insert(identity.refresh_tokens).values(digest="d" * 64, session_id="ses_old", issued_at=START)
        )
        c.execute(
            insert(devices.nonces),
            [
                {"device_id": "dev_a", "nonce": "a" * 16, "expires_at": NOW - 1},
                {"device_id": "dev_a", "nonce": "b" * 16, "expires_at": NOW + 100},
            ],
        )
        c.execute(
            insert(factors.lockouts),
            [
                {
                    "subject_id": "idn_a",
                    "factor": "totp",
                    "failures": 2,
                    "lockouts": 0,
                    "locked_until": None,
                    "updated_at": NOW - 31 * DAY,
                },
                {
                    "subject_id": "idn_a",
                    "factor": "payment_password",
                    "failures": 5,
                    "lockouts": 1,
                    "locked_until": NOW + 60,
                    "updated_at": NOW - 31 * DAY,
                },
            ],
        )
        c.execute(
            insert(devices.fingerprints),
            [
                {
                    "subject_id": "idn_a",
                    "fingerprint": "1" * 64,
                    "first_seen_at": START,
                    "last_seen_at": START,
                    "seen_count": 1,
                    "last_sighting": 1,
                },
                {
                    "subject_id": "idn_a",
                    "fingerprint": "2" * 64,
                    "first_seen_at": START,
                    "last_seen_at": NOW,
                    "seen_count": 1,
                    "last_sighting": 2,
                },
            ],
        )
        c.execute(
            insert(kyc.checks),
            [
                {
                    "id": "kyc_old",
                    "subject_id": "idn_a",
                    "provider": "p",
                    "tier": "light",
                    "status": "approved",
                    "reasons": "",
                    "created_at": START * 1000,
                    "completed_at": START * 1000,
                },
                {
                    "id": "kyc_open",
                    "subject_id": "idn_a",
                    "provider": "p",
                    "tier": "full",
                    "status": "pending",
                    "reasons": "",
                    "created_at": START * 1000,
                    "completed_at": None,
                },
            ],
        )
        analytics.record(c, pseudonymizer, Event(EventKind.LOGIN, "idn_a", NOW - 401 * DAY))
        analytics.record(c, pseudonymizer, Event(EventKind.LOGIN, "idn_a", NOW - 399 * DAY))
        contact = details.Contact(full_name="A", birth_date=datetime.date(1990, 1, 1))
        details.save_contact(c, "idn_a", contact, START)
        details.save_document(c, "idn_a", details.Document("passport", "P1", "DE"), START)

    done = retention.run(engine, NOW)

    assert done["identity_siwe_nonces"] == 1
    assert done["identity_sessions"] == 1
    assert done["risk_device_nonces"] == 1
    assert done["risk_factor_lockouts"] == 1  # the locked one stays until unlocked
    assert done["risk_device_fingerprints"] == 1
    assert done["kyc_checks"] == 1  # an open check has no completion to count from
    assert done["privacy_analytics_events"] == 1
    assert done["privacy_personal_details.document"] == 1
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(identity.refresh_tokens)) == 0
        assert c.scalar(select(identity.sessions.c.id)) == "ses_recent"
        assert c.scalar(select(func.count()).select_from(analytics_events)) == 1
        kept = details.load(c, "idn_a")
    assert kept is not None
    assert kept["full_name"] == "A"
    assert kept["document_number"] is None
    assert retention.run(engine, NOW) == dict.fromkeys(done, 0)


def test_every_retention_period_in_the_registry_has_a_step():
    steps = {name.split(".")[0] for name in retention.steps(NOW)}
    periodic = {entry.table for entry in REGISTRY if entry.retention_seconds is not None}
    assert periodic <= steps


def _screened(c: Connection, subject_id: str) -> None:
    item = f"sci_{subject_id}"
    c.execute(
        insert(screening.items).values(
            id=item, subject_id=subject_id, kind="name", value="A Name", created_at=START
        )
    )
    c.execute(
        insert(screening.screenings).values(
            id=f"scr_{subject_id}",
            item_id=item,
            subject_id=subject_id,
            list_version="v1",
            trigger="onboarding",
            outcome="clear",
            hits="[]",
            created_at=START,
        )
    )


def test_screening_records_go_five_years_after_the_relationship_ends(engine: Engine):
    """Kept through an erasure (AMLD art. 40), then removed once the erasure is 5 years old; a subject still
    a customer, or erased more recently, keeps every record."""
    with engine.begin() as c:
        c.execute(insert(screening.lists).values(version="v1", entries=1, first_used_at=START))
        for subject_id in ("idn_long_gone", "idn_recently_gone", "idn_customer"):
            _screened(c, subject_id)
        for subject_id, erased_at in (
            ("idn_long_gone", NOW - 5 * YEAR - 1),
            ("idn_recently_gone", NOW - DAY),
        ):
            c.execute(
                insert(erasures).values(
                    subject_id=subject_id,
                    id=f"per_{subject_id}",
                    requested_by="idn_x",
                    created_at=erased_at,
                    erased="{}",
                    kept="{}",
                )
            )

    done = retention.run(engine, NOW)

    assert (done["screenings"], done["screening_items"]) == (1, 1)
    with engine.connect() as c:
        left = set(c.scalars(select(screening.screenings.c.subject_id)))
        items = set(c.scalars(select(screening.items.c.subject_id)))
    assert left == items == {"idn_recently_gone", "idn_customer"}
    assert retention.run(engine, NOW)["screenings"] == 0
