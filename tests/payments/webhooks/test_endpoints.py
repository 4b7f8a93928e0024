"""Endpoints: a secret shown once and sealed at rest, tenant isolation, rotation with an overlap, deletion."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from payments.webhooks import endpoints
from payments.webhooks.endpoints import EndpointNotFound, InvalidEndpoint
from payments.webhooks.ids import now_ms
from payments.webhooks.outbox import emit
from payments.webhooks.schema import deliveries, endpoint_secrets
from payments.webhooks.sealing import SecretBox
from tests.payments.webhooks.conftest import MERCHANT, OpenEndpoint

URL = "http://127.0.0.1:9/hooks"


def test_the_secret_is_returned_once_and_stored_sealed(
    open_endpoint: OpenEndpoint, sessions: sessionmaker[Session], box: SecretBox
):
    endpoint, secret = open_endpoint(URL)
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    with sessions() as session:
        (sealed,) = session.scalars(select(endpoint_secrets.c.sealed)).all()
        assert secret.encode() not in sealed
        assert endpoints.active_secrets(session, box, endpoint.id, now_ms()) == [secret]


def test_another_tenant_or_mode_sees_no_endpoint(
    open_endpoint: OpenEndpoint, sessions: sessionmaker[Session]
):
    endpoint, _ = open_endpoint(URL)
    with sessions() as session:
        assert endpoints.get(session, MERCHANT, False, endpoint.id) == endpoint
        for merchant, livemode in [("acct_other", False), (MERCHANT, True)]:
            with pytest.raises(EndpointNotFound):
                endpoints.get(session, merchant, livemode, endpoint.id)


def test_a_live_endpoint_may_not_be_a_loopback_receiver(sessions: sessionmaker[Session], box: SecretBox):
    with sessions() as session, pytest.raises(InvalidEndpoint) as refused:
        endpoints.create(
            session,
            box,
            merchant_id=MERCHANT,
            livemode=True,
            url=URL,
            enabled_events=["*"],
            allow_loopback=False,
            now=now_ms(),
        )
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    "events", [[], ["Payment.Succeeded"], ["charge"], ["payment_intent.teleported"], ["*"] * 65]
)
def test_malformed_event_types_are_refused(open_endpoint: OpenEndpoint, events: list[str]):
    with pytest.raises(InvalidEndpoint) as refused:
        open_endpoint(URL, events=tuple(events))
    assert refused.value.field == "enabled_events"


def test_rotation_keeps_the_old_secret_for_the_overlap_only(
    open_endpoint: OpenEndpoint, sessions: sessionmaker[Session], box: SecretBox
):
    endpoint, first = open_endpoint(URL)
    now = now_ms()
    with sessions() as session:
        second = endpoints.rotate_secret(session, box, endpoint, now=now, overlap_seconds=60)
        session.commit()
        assert endpoints.active_secrets(session, box, endpoint.id, now) == [second, first]
        assert endpoints.active_secrets(session, box, endpoint.id, now + 60_001) == [second]
        # A rotation during the overlap never lengthens an older secret's life.
        third = endpoints.rotate_secret(session, box, endpoint, now=now + 1, overlap_seconds=3600)
        session.commit()
        assert endpoints.active_secrets(session, box, endpoint.id, now + 60_001) == [third, second]
        fourth = endpoints.rotate_secret(session, box, endpoint, now=now + 2, overlap_seconds=0)
        assert endpoints.active_secrets(session, box, endpoint.id, now + 2) == [fourth]
        with pytest.raises(InvalidEndpoint):
            endpoints.rotate_secret(session, box, endpoint, now=now, overlap_seconds=8 * 24 * 3600)


def test_deletion_cancels_pending_deliveries(open_endpoint: OpenEndpoint, sessions: sessionmaker[Session]):
    endpoint, _ = open_endpoint(URL)
    with sessions() as session:
        emit(session, MERCHANT, False, "payment_intent.succeeded", {"amount": "100"})
        endpoints.delete(session, endpoint, now=now_ms())
        session.commit()
        assert session.scalars(select(deliveries.c.status)).all() == ["canceled"]
        with pytest.raises(EndpointNotFound):
            endpoints.get(session, MERCHANT, False, endpoint.id)
        emit(session, MERCHANT, False, "payment_intent.succeeded", {"amount": "100"})
        assert len(session.scalars(select(deliveries.c.id)).all()) == 1  # no delivery to a deleted endpoint
