"""A sign-in is a sighting for the monitoring's geography check: the same customer signing in from Germany
and, ten minutes later, from Nigeria cannot have travelled that fast; the second sign-in still succeeds,
and the monitor raises an alert that opens a case in the review queue. The countries come from the shipped
table (`config/risk/ip_countries.csv`: 192.0.2.0/24 DE, 203.0.113.0/24 NG); the address is never stored."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from risk.cases.schema import risk_cases
from risk.monitoring.schema import alerts, sightings
from tests.api.identity.conftest import Browser, Clock

BERLIN = ("192.0.2.10", 50000)
LAGOS = ("203.0.113.7", 50000)


def _signed_in_from(app: FastAPI, address: tuple[str, int], browser: Browser) -> None:
    browser.client = TestClient(app, client=address)
    browser.sign_in()


def test_a_sign_in_from_too_far_too_soon_alerts_and_opens_a_case(
    app: FastAPI, client: TestClient, clock: Clock
) -> None:
    app.state.monitoring_clock = clock
    browser = Browser(client, clock)
    _signed_in_from(app, BERLIN, browser)
    subject = browser.session["subject_id"]
    with app.state.engine.connect() as connection:
        assert connection.execute(
            select(sightings.c.country).where(sightings.c.subject_id == subject)
        ).all() == [("DE",)]
        assert connection.execute(select(alerts)).all() == []

    clock.now += 600
    _signed_in_from(app, LAGOS, browser)
    assert browser.session["subject_id"] == subject, "the sign-in itself is not refused"
    with app.state.engine.connect() as connection:
        [alert] = connection.execute(select(alerts)).all()
        [case] = connection.execute(select(risk_cases)).all()
        stored = connection.execute(select(sightings.c.country, sightings.c.at)).all()
    assert (alert.check, alert.subject_kind, alert.subject_id) == ("geography", "customer", subject)
    assert (case.subject_kind, case.subject_id, case.id) == ("customer", subject, alert.case_id)
    assert stored == [("NG", clock.now)], "only the country is remembered, never the address"


def test_a_caller_address_outside_the_table_is_no_sighting(
    app: FastAPI, client: TestClient, clock: Clock
) -> None:
    browser = Browser(client, clock)
    browser.sign_in()  # the test client's address is "testclient": no country
    with app.state.engine.connect() as connection:
        assert connection.execute(select(sightings)).all() == []
