"""The tenant filter: every statement it builds is bounded to one merchant in one mode, and it refuses a
table that is not merchant-scoped."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.orm import Session

from payments.merchants import store
from payments.merchants.model import Application
from payments.merchants.schema import merchant_certificates, merchants
from payments.merchants.tenant import Tenant, mode_of, tenant_columns

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _fill(session: Session, application: Application) -> tuple[str, str]:
    """Two merchants with one certificate in each mode."""
    ids = (store.apply(session, application, NOW).id, store.apply(session, application, NOW).id)
    for number, (merchant_id, livemode) in enumerate((m, live) for m in ids for live in (False, True)):
        store.record_certificate(
            session,
            Tenant(merchant_id, livemode),
            serial_number=number + 1,
            fingerprint_sha256=f"{number:064x}",
            not_before=NOW,
            not_after=NOW,
            now=NOW,
        )
    session.commit()
    return ids


def test_select_update_delete_reach_only_the_tenants_rows(session: Session, application: Application):
    a, b = _fill(session, application)
    tenant = Tenant(a, livemode=False)
    rows = session.execute(tenant.select(merchant_certificates)).all()
    assert [(row.merchant_id, row.livemode) for row in rows] == [(a, False)]
    touched = session.execute(tenant.update(merchant_certificates).values(serial_number="ff"))
    assert touched.rowcount == 1  # type: ignore[attr-defined]
    deleted = session.execute(tenant.delete(merchant_certificates))
    assert deleted.rowcount == 1  # type: ignore[attr-defined]
    session.commit()
    left = session.execute(
        select(merchant_certificates.c.merchant_id, merchant_certificates.c.livemode)
    ).all()
    assert sorted(left) == sorted([(a, True), (b, False), (b, True)])
    count = session.scalar(Tenant(b, True).select(merchant_certificates, func.count()))
    assert count == 1


def test_values_stamp_both_tenant_columns():
    assert Tenant("mch_x", True).values() == {"merchant_id": "mch_x", "livemode": True}
    assert Tenant("mch_x", True).mode == "live"
    assert mode_of(False) == "sandbox"


def test_a_table_without_the_tenant_columns_is_refused():
    with pytest.raises(TypeError, match="not merchant-scoped"):
        Tenant("mch_x", False).select(merchants)


def test_tenant_columns_make_a_table_merchant_scoped():
    table = Table("widgets", MetaData(), Column("id", Integer, primary_key=True), *tenant_columns(merchants))
    assert {"merchant_id", "livemode"} <= set(table.c.keys())
    assert [key.target_fullname for key in table.c.merchant_id.foreign_keys] == ["merchants.id"]
    assert not table.c.livemode.nullable
    statement = str(Tenant("mch_x", False).select(table))
    assert "widgets.merchant_id = " in statement
    assert "widgets.livemode = " in statement
    assert isinstance(table.c.merchant_id.type, String)
