"""A subject's personal details (name, email, phone, birth date, residence, identity document), kept apart
from payment data: only `privacy_personal_details` holds them, keyed by the opaque subject id that payment and
ledger records carry instead. Collected at onboarding (the KYC provider's result); erased on request.
"""

import datetime
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from risk.privacy.schema import personal_details


@dataclass(frozen=True)
class Contact:
    """What the customer tells us about themself (each optional; they may correct it at any time)."""

    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: datetime.date | None = None
    residence_country: str | None = None


@dataclass(frozen=True)
class Document:
    """An identity document's data, kept for customer due diligence and cleared by retention."""

    kind: str
    number: str
    country: str


def _upsert(connection: Connection, subject_id: str, values: dict[str, Any], now: int) -> None:
    key = personal_details.c.subject_id == subject_id
    if connection.execute(select(personal_details.c.subject_id).where(key)).first() is None:
        try:
            with connection.begin_nested():
                connection.execute(
                    insert(personal_details).values(
                        subject_id=subject_id, created_at=now, updated_at=now, **values
                    )
                )
            return
        except IntegrityError:  # a concurrent first write of the subject's details: update it instead
            pass
    connection.execute(update(personal_details).where(key).values(updated_at=now, **values))


def save_contact(connection: Connection, subject_id: str, contact: Contact, now: int) -> None:
    """Replace the subject's contact details (the document is left as it is), in the caller's transaction."""
    _upsert(connection, subject_id, asdict(contact), now)


def save_document(connection: Connection, subject_id: str, document: Document | None, now: int) -> None:
    """Record (or, with None, clear) the subject's identity document; its retention clock starts `now`."""
    values: dict[str, Any] = {
        "document_kind": document.kind if document else None,
        "document_number": document.number if document else None,
        "document_country": document.country if document else None,
        "document_collected_at": now if document else None,
    }
    _upsert(connection, subject_id, values, now)


def load(connection: Connection, subject_id: str) -> dict[str, Any] | None:
    """The subject's details as stored (dates as ISO strings), or None."""
    row = connection.execute(
        select(personal_details).where(personal_details.c.subject_id == subject_id)
    ).first()
    if row is None:
        return None
    found = dict(row._mapping)
    if found["birth_date"] is not None:
        found["birth_date"] = found["birth_date"].isoformat()
    return found


def erase(connection: Connection, subject_id: str) -> int:
    return connection.execute(
        delete(personal_details).where(personal_details.c.subject_id == subject_id)
    ).rowcount
