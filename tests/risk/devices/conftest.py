"""Fixtures of the devices tests: the devices' tables on each backend, a movable clock, and a device of each
key type registered for a subject."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import risk.audit.schema
from risk.devices.registration import DeviceRegistration, issue_challenge, register_device
from risk.devices.schema import metadata
from tests.helpers.db import database_url, engine_on, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.helpers.device_keys import DeviceKeyPair

ALICE = "idn_alice"
BOB = "idn_bob"
ACTOR = "session:ses_alice"
"""Who revokes in the tests that do not look at the audit record."""
START = 1_800_000_000
TTL = 300


@dataclass
class Clock:
    """Unix seconds, moved by hand."""

    now: int = START

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    with engine_on(database_url) as engine:
        metadata.create_all(engine)
        risk.audit.schema.metadata.create_all(engine)  # a revocation is chained onto the risk log
        yield engine


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


Register = Callable[..., DeviceKeyPair]


@pytest.fixture
def register(sessions: sessionmaker[Session], clock: Clock) -> Register:
    """`register(subject, key_type)`: a new key pair bound to `subject` as a device, committed."""

    def register_(subject_id: str = ALICE, key_type: str = "p256", raw: bool = False) -> DeviceKeyPair:
        pair = DeviceKeyPair(key_type)
        with sessions() as session:
            challenge = issue_challenge(session, subject_id, clock(), TTL)
            signature = pair.sign_registration(challenge.id, challenge.challenge, subject_id)
            key = pair.public_raw if raw else pair.public_pem
            registration = DeviceRegistration(challenge.id, "phone", "ios", key, signature)
            pair.device_id = register_device(session, subject_id, registration, clock()).id
            session.commit()
        return pair

    return register_
