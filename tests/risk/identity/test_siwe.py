"""Sign-In with Ethereum: a message is accepted once, for our domain, URI and chains, in its time, when its
address signed it; every other case is refused naming the field."""

import pytest
from eth_account import Account
from sqlalchemy import Engine, select

from risk.identity import identities, siwe_login
from risk.identity.errors import InvalidInput, LoginRefused
from risk.identity.schema import siwe_nonces
from risk.identity.siwe_login import SiwePolicy
from tests.risk.identity.conftest import START, Wallet, iso


def _login(engine: Engine, policy: SiwePolicy, message: str, signature: str, now: int) -> str:
    """The whole login as the API runs it: verify, spend the nonce, find or create the identity."""
    with engine.begin() as connection:
        login = siwe_login.verify_message(policy, message, signature, now)
        siwe_login.spend_nonce(connection, login.nonce, now)
        return identities.identity_of_address(connection, login.address, now).id


def _nonce(engine: Engine, policy: SiwePolicy, now: int = START) -> str:
    with engine.begin() as connection:
        return siwe_login.issue_nonce(connection, policy, now).nonce


def test_a_first_login_creates_a_customer_and_the_next_finds_it(
    engine: Engine, siwe_policy: SiwePolicy, wallet: Wallet
) -> None:
    first = wallet.message(_nonce(engine, siwe_policy), START)
    subject = _login(engine, siwe_policy, first, wallet.sign(first), START + 1)
    second = wallet.message(_nonce(engine, siwe_policy), START + 10)
    assert _login(engine, siwe_policy, second, wallet.sign(second), START + 11) == subject
    with engine.connect() as connection:
        identity = identities.get_identity(connection, subject)
    assert identity.kind == "customer"
    assert subject.startswith("idn_")


def test_a_nonce_signs_in_once(engine: Engine, siwe_policy: SiwePolicy, wallet: Wallet) -> None:
    message = wallet.message(_nonce(engine, siwe_policy), START)
    signature = wallet.sign(message)
    _login(engine, siwe_policy, message, signature, START + 1)
    with pytest.raises(LoginRefused) as refused:
        _login(engine, siwe_policy, message, signature, START + 2)
    assert refused.value.field == "nonce"


def test_a_nonce_we_did_not_issue_or_that_expired_is_refused(
    engine: Engine, siwe_policy: SiwePolicy, wallet: Wallet
) -> None:
    forged = wallet.message("a1b2c3d4e5f6a7b8", START)
    with pytest.raises(LoginRefused) as refused:
        _login(engine, siwe_policy, forged, wallet.sign(forged), START)
    assert refused.value.field == "nonce"
    late = wallet.message(_nonce(engine, siwe_policy), START + 300, issued_at=iso(START + 300))
    with pytest.raises(LoginRefused) as refused:
        _login(engine, siwe_policy, late, wallet.sign(late), START + siwe_policy.nonce_seconds)
    assert refused.value.field == "nonce"


def test_a_refused_login_leaves_its_nonce_usable(
    engine: Engine, siwe_policy: SiwePolicy, wallet: Wallet
) -> None:
    nonce = _nonce(engine, siwe_policy)
    message = wallet.message(nonce, START)
    with pytest.raises(LoginRefused):
        _login(engine, siwe_policy, message, Wallet(Account.create()).sign(message), START)
    with engine.connect() as connection:
        assert (
            connection.execute(select(siwe_nonces.c.used_at).where(siwe_nonces.c.nonce == nonce)).scalar()
            is None
        )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"domain": "wallet.example.com.evil.io"}, "domain"),
        ({"domain": "evil.example"}, "domain"),
        ({"uri": "https://wallet.example.com.evil.io/login"}, "uri"),
        ({"uri": "http://wallet.example.com/login"}, "uri"),
        ({"chain_id": 1}, "chain_id"),
        ({"issued_at": iso(START + 3600)}, "issued_at"),
        ({"expiration_time": iso(START - 1)}, "expiration_time"),
        ({"not_before": iso(START + 600)}, "not_before"),
    ],
)
def test_a_message_for_another_domain_uri_chain_or_time_is_refused(
    engine: Engine, siwe_policy: SiwePolicy, wallet: Wallet, fields: dict[str, object], field: str
) -> None:
    message = wallet.message(_nonce(engine, siwe_policy), START, **fields)
    with pytest.raises(LoginRefused) as refused:
        _login(engine, siwe_policy, message, wallet.sign(message), START)
    assert refused.value.field == field


def test_a_signature_by_another_address_is_refused(
    engine: Engine, siwe_policy: SiwePolicy, wallet: Wallet
) -> None:
    message = wallet.message(_nonce(engine, siwe_policy), START)
    with pytest.raises(LoginRefused) as refused:
        _login(engine, siwe_policy, message, Wallet(Account.create()).sign(message), START)
    assert refused.value.field == "signature"


def test_a_tampered_message_is_refused(engine: Engine, siwe_policy: SiwePolicy, wallet: Wallet) -> None:
    message = wallet.message(_nonce(engine, siwe_policy), START)
    signature = wallet.sign(message)
    altered = message.replace("Sign in to TPWallet.", "Sign in to TPWallet!")
    with pytest.raises(LoginRefused) as refused:
        _login(engine, siwe_policy, altered, signature, START)
    assert refused.value.field == "signature"


def test_text_that_is_no_sign_in_message_is_invalid(engine: Engine, siwe_policy: SiwePolicy) -> None:
    with pytest.raises(InvalidInput) as invalid:
        siwe_login.verify_message(siwe_policy, "hello", "0x" + "00" * 65, START)
    assert invalid.value.field == "message"


def test_issuing_a_nonce_deletes_the_expired_ones(engine: Engine, siwe_policy: SiwePolicy) -> None:
    old = _nonce(engine, siwe_policy, START)
    live = _nonce(engine, siwe_policy, START + 1)
    newest = _nonce(engine, siwe_policy, START + siwe_policy.nonce_seconds)
    with engine.connect() as connection:
        kept = set(connection.execute(select(siwe_nonces.c.nonce)).scalars())
    assert kept == {live, newest}
    assert old not in kept
