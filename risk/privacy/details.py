"""A subject's personal details (name, email, phone, birth date, residence, identity document), kept apart
from payment data: only `privacy_personal_details` holds them, keyed by the opaque subject id that payment and
ledger records carry instead. Collected at onboarding (the KYC provider's result); erased on request.
"""

import datetime
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from risk.privacy.schema import personal_details


@dataclass(frozen=True)
class Details:
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: datetime.date | None = None
    residence_country: str | None = None
    document_kind: str | None = None
    document_number: str | None = None
    document_country: str | None = None


def save(connection: Connection, subject_id: str, details: Details, now: int) -> None:
    """Write the subject's details (all of them replaced), in the caller's transaction; a document's
    collection time (its retention clock) is `now` when its number changes."""
    values: dict[str, Any] = asdict(details)
    current = connection.execute(
        select(personal_details.c.document_number, personal_details.c.document_collected_at).where(
            personal_details.c.subject_id == subject_id
        )
    ).first()
    if details.document_number is None:
        values["document_collected_at"] = None
    elif current is None or current.document_number != details.document_number:
        values["document_collected_at"] = now
    if current is None:
        connection.execute(
            insert(personal_details).values(subject_id=subject_id, created_at=now, updated_at=now, **values)
        )
    else:
        connection.execute(
            update(personal_details)
            .where(personal_details.c.subject_id == subject_id)
            .values(updated_at=now, **values)
        )


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
