"""Passkeys through the `webauthn` package's real checks, against a software ES256 authenticator: the
challenge is single use and bound to its ceremony and subject, the origin and RP id are ours, and a sign
counter that does not increase is refused."""

import json

import pytest
from sqlalchemy import Engine, select

from risk.identity import identities, passkeys
from risk.identity.errors import CeremonyRefused
from risk.identity.passkeys import PasskeyPolicy
from risk.identity.schema import challenges
from risk.identity.schema import passkeys as passkeys_table
from tests.helpers.soft_authenticator import SoftAuthenticator
from tests.risk.identity.conftest import START

ORIGIN, RP_ID = "https://wallet.example.com", "wallet.example.com"
POLICY = PasskeyPolicy(rp_id=RP_ID, rp_name="TPWallet", origins=[ORIGIN], challenge_seconds=300)


def _customer(engine: Engine) -> str:
    with engine.begin() as connection:
        return identities.create_identity(connection, "customer", START).id


def _register(engine: Engine, authenticator: SoftAuthenticator, subject_id: str) -> str:
    with engine.begin() as connection:
        options = passkeys.registration_options(connection, POLICY, subject_id, "alice", START)
    credential = authenticator.register(options.options, origin=ORIGIN)
    with engine.begin() as connection:
        return passkeys.verify_registration(
            connection, POLICY, options.ceremony_id, subject_id, credential, START + 1
        )


def _sign_in(
    engine: Engine,
    authenticator: SoftAuthenticator,
    *,
    origin: str = ORIGIN,
    rp_id: str = RP_ID,
    advance: int = 1,
) -> str:
    with engine.begin() as connection:
        options = passkeys.authentication_options(connection, POLICY, START)
    assertion = authenticator.get_assertion(options.options, origin=origin, rp_id=rp_id, advance=advance)
    with engine.begin() as connection:
        return passkeys.verify_authentication(connection, POLICY, options.ceremony_id, assertion, START + 2)


def test_a_registered_passkey_signs_its_subject_in(engine: Engine) -> None:
    subject = _customer(engine)
    authenticator = SoftAuthenticator()
    credential_id = _register(engine, authenticator, subject)
    assert _sign_in(engine, authenticator) == subject
    assert _sign_in(engine, authenticator) == subject
    with engine.connect() as connection:
        row = connection.execute(select(passkeys_table)).one()
    assert row.credential_id == credential_id
    assert row.sign_count == 2
    assert json.loads(row.transports) == ["internal", "hybrid"]


def test_a_sign_counter_that_does_not_increase_is_refused(engine: Engine) -> None:
    authenticator = SoftAuthenticator()
    _register(engine, authenticator, _customer(engine))
    _sign_in(engine, authenticator, advance=5)
    with pytest.raises(CeremonyRefused):
        _sign_in(engine, authenticator, advance=0)
    with pytest.raises(CeremonyRefused):
        _sign_in(engine, authenticator, advance=-2)


def test_an_assertion_for_another_origin_or_rp_id_is_refused(engine: Engine) -> None:
    authenticator = SoftAuthenticator()
    _register(engine, authenticator, _customer(engine))
    with pytest.raises(CeremonyRefused):
        _sign_in(engine, authenticator, origin="https://wallet-example.com.evil.io")
    with pytest.raises(CeremonyRefused):
        _sign_in(engine, authenticator, rp_id="evil.io")


def test_a_registration_for_another_origin_is_refused(engine: Engine) -> None:
    subject = _customer(engine)
    with engine.begin() as connection:
        options = passkeys.registration_options(connection, POLICY, subject, "alice", START)
    credential = SoftAuthenticator().register(options.options, origin="https://evil.io")
    with pytest.raises(CeremonyRefused), engine.begin() as connection:
        passkeys.verify_registration(connection, POLICY, options.ceremony_id, subject, credential, START)


def test_a_registration_challenge_is_bound_to_its_subject_and_used_once(engine: Engine) -> None:
    alice, mallory = _customer(engine), _customer(engine)
    with engine.begin() as connection:
        options = passkeys.registration_options(connection, POLICY, alice, "alice", START)
    credential = SoftAuthenticator().register(options.options, origin=ORIGIN)
    with pytest.raises(CeremonyRefused) as refused, engine.begin() as connection:
        passkeys.verify_registration(connection, POLICY, options.ceremony_id, mallory, credential, START)
    assert refused.value.field == "ceremony_id"
    with engine.begin() as connection:
        passkeys.verify_registration(connection, POLICY, options.ceremony_id, alice, credential, START)
    with pytest.raises(CeremonyRefused) as refused, engine.begin() as connection:
        passkeys.verify_registration(connection, POLICY, options.ceremony_id, alice, credential, START)
    assert refused.value.field == "ceremony_id"


def test_an_expired_or_replayed_authentication_challenge_is_refused(engine: Engine) -> None:
    authenticator = SoftAuthenticator()
    _register(engine, authenticator, _customer(engine))
    with engine.begin() as connection:
        options = passkeys.authentication_options(connection, POLICY, START)
    assertion = authenticator.get_assertion(options.options, origin=ORIGIN, rp_id=RP_ID)
    with pytest.raises(CeremonyRefused), engine.begin() as connection:
        passkeys.verify_authentication(connection, POLICY, options.ceremony_id, assertion, START + 300)
    with engine.begin() as connection:
        passkeys.verify_authentication(connection, POLICY, options.ceremony_id, assertion, START + 299)
    with pytest.raises(CeremonyRefused), engine.begin() as connection:
        passkeys.verify_authentication(connection, POLICY, options.ceremony_id, assertion, START + 299)


def test_an_unknown_passkey_is_refused(engine: Engine) -> None:
    _register(engine, SoftAuthenticator(), _customer(engine))
    with pytest.raises(CeremonyRefused):
        _sign_in(engine, SoftAuthenticator())


def test_the_same_passkey_registers_once(engine: Engine) -> None:
    authenticator = SoftAuthenticator()
    subject = _customer(engine)
    _register(engine, authenticator, subject)
    with engine.begin() as connection:
        options = passkeys.registration_options(connection, POLICY, subject, "alice", START)
    assert (
        options.options["excludeCredentials"][0]["id"]
        == authenticator.register(options.options, origin=ORIGIN)["id"]
    )
    with pytest.raises(CeremonyRefused):
        _register(engine, authenticator, _customer(engine))


def test_starting_a_ceremony_deletes_the_expired_ones(engine: Engine) -> None:
    with engine.begin() as connection:
        old = passkeys.authentication_options(connection, POLICY, START).ceremony_id
        live = passkeys.authentication_options(connection, POLICY, START + 1).ceremony_id
        newest = passkeys.authentication_options(
            connection, POLICY, START + POLICY.challenge_seconds
        ).ceremony_id
        kept = set(connection.execute(select(challenges.c.id)).scalars())
    assert kept == {live, newest}
    assert old not in kept
