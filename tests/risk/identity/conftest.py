"""Fixtures of the identity domain tests: the identity tables on SQLite and PostgreSQL, a movable clock, a
token signer, and an Ethereum account that signs EIP-4361 messages."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import siwe
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from risk.identity.schema import metadata
from risk.identity.sessions import SessionPolicy
from risk.identity.siwe_login import SiwePolicy
from risk.identity.tokens import TokenSigner
from tests.helpers.db import database_url, engine_on, pg_url, sqlite_url  # noqa: F401  (fixtures)

START = 1_800_000_000
"""The tests' clock at its start (whole seconds, 2027-01-15)."""
DOMAIN, URI, CHAIN_ID = "wallet.example.com", "https://wallet.example.com", 31337


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    with engine_on(database_url) as engine:
        metadata.create_all(engine)
        yield engine


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(bytes(range(32)))


@pytest.fixture
def policy() -> SessionPolicy:
    return SessionPolicy(audience="tpwallet", access_seconds=900, session_seconds=86_400)


@pytest.fixture
def siwe_policy() -> SiwePolicy:
    return SiwePolicy(domain=DOMAIN, uri=URI, chain_ids={CHAIN_ID}, nonce_seconds=300)


@dataclass
class Wallet:
    """An externally owned account that writes and signs sign-in messages."""

    account: LocalAccount

    @property
    def address(self) -> str:
        return str(self.account.address)

    def message(self, nonce: str, now: int, **fields: object) -> str:
        values: dict[str, object] = {
            "domain": DOMAIN,
            "address": self.address,
            "uri": URI + "/login",
            "version": "1",
            "chain_id": CHAIN_ID,
            "nonce": nonce,
            "issued_at": _iso(now),
            "expiration_time": _iso(now + 120),
            "statement": "Sign in to TPWallet.",
        }
        values.update(fields)
        return siwe.SiweMessage(**values).prepare_message()

    def sign(self, message: str) -> str:
        return "0x" + bytes(self.account.sign_message(encode_defunct(text=message)).signature).hex()


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(seconds: int) -> str:
    """`seconds` as an EIP-4361 timestamp."""
    return _iso(seconds)


@pytest.fixture
def wallet() -> Wallet:
    return Wallet(Account.create())
