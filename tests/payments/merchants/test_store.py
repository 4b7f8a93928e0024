"""Merchant accounts and certificates in the database, on SQLite and PostgreSQL; the database's own
guards on fees and statuses."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import make_engine
from payments.merchants import store
from payments.merchants.model import MAX_MINOR_UNITS, Application, InvalidTransition, MerchantStatus
from payments.merchants.schema import merchants
from payments.merchants.tenant import Tenant
from tests.payments.merchants.conftest import fees

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DECIDERS = 6


def test_an_application_is_stored_as_applied(session: Session, application: Application):
    merchant = store.apply(session, application, NOW)
    session.commit()
    assert merchant.id.startswith("mch_")
    assert merchant.status is MerchantStatus.APPLIED
    assert merchant.created_at == NOW
    assert store.get(session, merchant.id) == merchant
    assert not store.merchant_is_active(session, merchant.id)


def test_the_largest_fixed_fee_survives_both_backends(session: Session):
    merchant = store.apply(session, Application("Big", "US", "USD", fees(10_000, MAX_MINOR_UNITS)), NOW)
    session.commit()
    assert store.get(session, merchant.id).fees.card.fixed == MAX_MINOR_UNITS


def test_status_moves_follow_the_machine(session: Session, application: Application):
    merchant_id = store.apply(session, application, NOW).id
    later = NOW + timedelta(minutes=1)
    active = store.move(session, merchant_id, MerchantStatus.ACTIVE, later)
    assert active.status is MerchantStatus.ACTIVE
    assert active.updated_at == later
    assert store.merchant_is_active(session, merchant_id)
    with pytest.raises(InvalidTransition):
        store.move(session, merchant_id, MerchantStatus.REJECTED, later)
    store.move(session, merchant_id, MerchantStatus.SUSPENDED, later)
    assert not store.merchant_is_active(session, merchant_id)


def test_an_unknown_merchant(session: Session):
    with pytest.raises(store.MerchantNotFound):
        store.get(session, "mch_" + "0" * 24)
    assert not store.merchant_is_active(session, "mch_" + "0" * 24)


@pytest.mark.parametrize(
    "values",
    [{"card_fee_bps": -1}, {"bank_fee_bps": 10_001}, {"stablecoin_fee_fixed": -1}, {"status": "deleted"}],
)
def test_the_database_refuses_what_the_model_refuses(session: Session, application: Application, values):
    merchant_id = store.apply(session, application, NOW).id
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(update(merchants).where(merchants.c.id == merchant_id).values(**values))


def test_certificates_are_kept_per_tenant(session: Session, application: Application):
    merchant_id = store.apply(session, application, NOW).id
    other_id = store.apply(session, application, NOW).id
    sandbox, live, other = Tenant(merchant_id, False), Tenant(merchant_id, True), Tenant(other_id, False)
    for number, tenant in enumerate((sandbox, live, live, other)):
        store.record_certificate(
            session,
            tenant,
            serial_number=number + 255,
            fingerprint_sha256=f"{number:064x}",
            not_before=NOW,
            not_after=NOW + timedelta(days=90),
            now=NOW + timedelta(seconds=number),
        )
    session.commit()
    assert [row.serial_number for row in store.certificates(session, sandbox)] == ["ff"]
    assert [row.serial_number for row in store.certificates(session, live)] == ["100", "101"]
    assert [row.merchant_id for row in store.certificates(session, other)] == [other_id]


def test_a_fingerprint_is_recorded_once(session: Session, application: Application):
    tenant = Tenant(store.apply(session, application, NOW).id, True)
    fields = {
        "serial_number": 1,
        "fingerprint_sha256": "ab" * 32,
        "not_before": NOW,
        "not_after": NOW,
        "now": NOW,
    }
    store.record_certificate(session, tenant, **fields)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        store.record_certificate(session, tenant, **fields)  # type: ignore[arg-type]


def test_a_certificate_is_found_by_fingerprint_and_revoked_by_its_tenant_once(
    session: Session, application: Application
):
    live = Tenant(store.apply(session, application, NOW).id, True)
    sandbox = Tenant(live.merchant_id, False)
    certificate_id = store.record_certificate(
        session,
        live,
        serial_number=1,
        fingerprint_sha256="cd" * 32,
        not_before=NOW,
        not_after=NOW + timedelta(days=90),
        now=NOW,
    )
    found = store.certificate_by_fingerprint(session, "cd" * 32)
    assert found is not None
    assert found.id == certificate_id
    assert found.revoked_at is None
    assert store.certificate_by_fingerprint(session, "ef" * 32) is None

    assert store.revoke_certificate(session, (sandbox,), certificate_id, NOW) is None  # another tenant's
    revoked = store.revoke_certificate(session, (live,), certificate_id, NOW + timedelta(hours=1))
    assert revoked is not None
    assert store.utc(revoked.revoked_at) == NOW + timedelta(hours=1)
    again = store.revoke_certificate(session, (sandbox, live), certificate_id, NOW + timedelta(hours=2))
    assert again is not None
    assert store.utc(again.revoked_at) == NOW + timedelta(hours=1)
    session.commit()
    found = store.certificate_by_fingerprint(session, "cd" * 32)
    assert found is not None
    assert found.revoked_at is not None


def test_concurrent_decisions_on_an_application_let_exactly_one_win(
    session: Session, database_url: str, application: Application
):
    """Approvals and rejections race on one application from their own sessions: one wins, the rest see
    that it changed (PostgreSQL's row lock, SQLite's compare and set)."""
    merchant_id = store.apply(session, application, NOW).id
    session.commit()
    engine = make_engine(database_url)
    try:
        start = threading.Barrier(DECIDERS)

        def decide(number: int) -> bool:
            target = MerchantStatus.ACTIVE if number % 2 else MerchantStatus.REJECTED
            with Session(engine) as own:
                start.wait()
                try:
                    store.move(own, merchant_id, target, NOW, only_from=MerchantStatus.APPLIED)
                    own.commit()
                except InvalidTransition:
                    own.rollback()
                    return False
                return True

        with ThreadPoolExecutor(DECIDERS) as pool:
            outcomes = list(pool.map(decide, range(DECIDERS)))
        assert outcomes.count(True) == 1
    finally:
        engine.dispose()
