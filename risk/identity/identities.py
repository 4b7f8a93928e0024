"""Customer and operator identities, and the Ethereum addresses that sign in as them.

An identity's id (``idn_<32 hex>``) is the *subject* every other part of `risk` stores (factors, devices,
decisions): opaque, never a foreign key across subpackages. A first SIWE login from an address creates a
customer identity keyed by that address; operators are created explicitly (`create_identity`).
"""

import secrets
from dataclasses import dataclass
from typing import Final, Literal, get_args

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from risk.identity.errors import InvalidInput, NotFound
from risk.identity.schema import ethereum_addresses, identities

IdentityKind = Literal["customer", "operator"]
IDENTITY_KINDS: Final[tuple[IdentityKind, ...]] = get_args(IdentityKind)
ID_PREFIX: Final = "idn_"


@dataclass(frozen=True)
class Identity:
    """Who a session, a factor or a decision belongs to."""

    id: str
    kind: IdentityKind
    created_at: int


def new_subject_id() -> str:
    """A fresh identity id: 128 random bits, so ids reveal neither order nor count."""
    return ID_PREFIX + secrets.token_hex(16)


def create_identity(connection: Connection, kind: str, now: int) -> Identity:
    """A new identity of `kind` (customer or operator)."""
    if kind not in IDENTITY_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(IDENTITY_KINDS)}", field="kind")
    identity = Identity(new_subject_id(), kind, now)
    connection.execute(insert(identities).values(id=identity.id, kind=identity.kind, created_at=now))
    return identity


def get_identity(connection: Connection, subject_id: str) -> Identity:
    """The identity `subject_id` names; `NotFound` if none."""
    row = connection.execute(select(identities).where(identities.c.id == subject_id)).one_or_none()
    if row is None:
        raise NotFound(f"no identity {subject_id}", field="subject_id")
    return Identity(row.id, row.kind, row.created_at)


def identity_of_address(connection: Connection, address: str, now: int) -> Identity:
    """The identity `address` signs in as, created (a customer) on its first login.

    Two first logins racing for one address both insert; the primary key lets one win and the other reads
    the winner's identity (its own new identity row rolls back with its savepoint)."""
    found = _identity_by_address(connection, address)
    if found is not None:
        return found
    try:
        with connection.begin_nested():
            identity = create_identity(connection, "customer", now)
            connection.execute(
                insert(ethereum_addresses).values(address=address, subject_id=identity.id, created_at=now)
            )
    except IntegrityError:
        found = _identity_by_address(connection, address)
        if found is None:
            raise
        return found
    return identity


def _identity_by_address(connection: Connection, address: str) -> Identity | None:
    row = connection.execute(
        select(identities)
        .join(ethereum_addresses, ethereum_addresses.c.subject_id == identities.c.id)
        .where(ethereum_addresses.c.address == address)
    ).one_or_none()
    return None if row is None else Identity(row.id, row.kind, row.created_at)
