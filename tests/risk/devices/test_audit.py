"""A device revocation on the hash-chained risk audit log, on both backends: one record naming who revoked
which device of whom, in the revocation's transaction; a second revocation changes and records nothing."""

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

import risk.audit.schema
from risk.audit import records, verify
from risk.devices import registry
from tests.risk.devices.conftest import ALICE, Clock, Register


def test_a_revocation_is_chained_once(
    register: Register, sessions: sessionmaker[Session], engine: Engine, clock: Clock
) -> None:
    pair = register(ALICE, "p256")
    with sessions() as session:
        registry.revoke_device(session, ALICE, pair.device_id, clock(), actor="key:support_1")
        session.commit()
        clock.now += 60
        registry.revoke_device(session, ALICE, pair.device_id, clock(), actor="key:support_2")
        session.commit()
    with engine.connect() as connection:
        assert verify(connection).ok
        [record] = records(connection)
    assert (record.actor, record.action, record.subject, record.details) == (
        "key:support_1",
        "risk.device.revoked",
        pair.device_id,
        {"subject_id": ALICE},
    )


def test_a_rolled_back_revocation_leaves_no_record(
    register: Register, sessions: sessionmaker[Session], engine: Engine, clock: Clock
) -> None:
    pair = register(ALICE, "ed25519")
    with sessions() as session:
        registry.revoke_device(session, ALICE, pair.device_id, clock(), actor="key:support_1")
        session.rollback()
        assert registry.get_device(session, ALICE, pair.device_id).active
    with engine.connect() as connection:
        assert records(connection) == []


def test_no_audit_record_no_revocation(
    register: Register, sessions: sessionmaker[Session], engine: Engine, clock: Clock
) -> None:
    pair = register(ALICE, "ed25519")
    risk.audit.schema.metadata.drop_all(engine)
    with sessions() as session:
        with pytest.raises(DBAPIError):
            registry.revoke_device(session, ALICE, pair.device_id, clock(), actor="key:support_1")
        session.rollback()
        assert registry.get_device(session, ALICE, pair.device_id).active
