"""A customer's export (GDPR art. 15 and 20) and erasure (art. 17), each recorded.

**Export** gathers everything held about the subject: identity, addresses, passkeys, sessions, enrolled
factors (never a secret, hash or sealed value), devices, fingerprints, personal details, KYC tier, checks and
tier changes, ledger accounts, analytics events under the current key. Sanctions screenings are withheld and
said to be (AMLD art. 39 forbids tipping a customer off; GDPR art. 23 allows the restriction).

**Erasure** deletes, in one transaction, every row the registry marks `delete` (details, addresses,
passkeys, sessions and their refresh tokens, factors, devices, their nonces and fingerprints, analytics
events) and keeps what the law requires (`keep`: ledger accounts and transfers, payment records, KYC and
screening records, each with its article in the erasure record). What is kept names the subject only by its
random `idn_…` id, and after erasure no row links that id to a person any more (no address, passkey, name or
email): the kept records are pseudonymous. The erasure record's primary key is the subject, so a subject is
erased once: a repeated or concurrent request answers the first record.
"""

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

import ledger.schema
import risk.devices.schema as devices
import risk.factors.schema as factors
import risk.identity.schema as identity
import risk.kyc.schema as kyc
import risk.monitoring.schema as monitoring
from ledger.model import OwnerKind
from risk.privacy import details
from risk.privacy.analytics import forget
from risk.privacy.pseudonyms import Pseudonymizer
from risk.privacy.registry import REGISTRY, OnErasure
from risk.privacy.schema import analytics_events, erasures, exports

WITHHELD = {
    "screenings": "sanctions screening records are not disclosed (Directive (EU) 2015/849 art. 39, "
    "GDPR art. 23)"
}


@dataclass(frozen=True)
class Erasure:
    """The record of a subject's erasure."""

    id: str
    subject_id: str
    requested_by: str
    created_at: int
    erased: dict[str, int]
    kept: dict[str, str]


def _rows(connection: Connection, table: Table, *columns: str, where: Any) -> list[dict[str, Any]]:
    query = select(*(table.c[name] for name in columns)).where(where)
    return [dict(row._mapping) for row in connection.execute(query)]


def _factors(connection: Connection, subject_id: str) -> list[dict[str, Any]]:
    enrolled: list[dict[str, Any]] = []
    for name, table in (
        ("totp", factors.totp_secrets),
        ("payment_password", factors.payment_passwords),
    ):
        for row in _rows(connection, table, "created_at", where=table.c.subject_id == subject_id):
            enrolled.append({"factor": name, **row})
    codes = _rows(
        connection,
        factors.recovery_codes,
        "created_at",
        "used_at",
        where=factors.recovery_codes.c.subject_id == subject_id,
    )
    if codes:
        unused = sum(1 for code in codes if code["used_at"] is None)
        enrolled.append({"factor": "recovery_code", "created_at": codes[0]["created_at"], "unused": unused})
    return enrolled


def export(
    connection: Connection, pseudonymizer: Pseudonymizer | None, subject_id: str, requested_by: str, now: int
) -> dict[str, Any]:
    """Everything about the subject, as JSON-ready values (amounts as decimal strings), and the export
    recorded, in the caller's transaction."""
    sessions = identity.sessions.c
    data: dict[str, Any] = {
        "subject_id": subject_id,
        "identity": next(
            iter(_rows(connection, identity.identities, "id", "kind", "created_at",
                       where=identity.identities.c.id == subject_id)),
            None,
        ),
        "ethereum_addresses": _rows(connection, identity.ethereum_addresses, "address", "created_at",
                                    where=identity.ethereum_addresses.c.subject_id == subject_id),
        "passkeys": _rows(connection, identity.passkeys, "credential_id", "transports", "created_at",
                          "last_used_at", where=identity.passkeys.c.subject_id == subject_id),
        "sessions": _rows(connection, identity.sessions, "id", "method", "created_at", "expires_at",
                          "revoked_at", "revoked_reason", where=sessions.subject_id == subject_id),
        "factors": _factors(connection, subject_id),
        "devices": _rows(connection, devices.devices, "id", "name", "platform", "key_type", "key_sha256",
                         "created_at", "last_used_at", "revoked_at",
                         where=devices.devices.c.subject_id == subject_id),
        "device_fingerprints": _rows(connection, devices.fingerprints, "fingerprint", "first_seen_at",
                                     "last_seen_at", "seen_count",
                                     where=devices.fingerprints.c.subject_id == subject_id),
        "personal_details": details.load(connection, subject_id),
        "kyc": {
            "tier": connection.execute(
                select(kyc.subject_tiers.c.tier).where(kyc.subject_tiers.c.subject_id == subject_id)
            ).scalar() or "none",
            "checks": _rows(connection, kyc.checks, "id", "provider", "tier", "status", "reasons",
                            "created_at", "completed_at", where=kyc.checks.c.subject_id == subject_id),
            "tier_changes": _rows(connection, kyc.tier_changes, "id", "tier", "previous_tier", "reason",
                                  "created_at", where=kyc.tier_changes.c.subject_id == subject_id),
        },
        "ledger_accounts": [
            {**row, **{name: str(row[name]) for name in _BALANCES}}
            for row in _rows(
                connection, ledger.schema.accounts, "id", "currency", *_BALANCES,
                where=(ledger.schema.accounts.c.owner_kind == str(OwnerKind.CUSTOMER))
                & (ledger.schema.accounts.c.owner_id == subject_id),
            )
        ],
        "analytics_events": [] if pseudonymizer is None else _rows(
            connection, analytics_events, "id", "kind", "key_id", "day", "country", "mcc", "currency",
            "amount", where=(analytics_events.c.pseudonym == pseudonymizer.pseudonym(subject_id))
            & (analytics_events.c.key_id == pseudonymizer.key_id),
        ),
        "withheld": WITHHELD,
    }  # fmt: skip
    for event in data["analytics_events"]:
        event["day"] = event["day"].isoformat()
        event["amount"] = None if event["amount"] is None else str(event["amount"])
    for account in data["ledger_accounts"]:
        account["id"] = str(account["id"])
    export_id = f"pex_{secrets.token_hex(12)}"
    connection.execute(
        insert(exports).values(id=export_id, subject_id=subject_id, requested_by=requested_by, created_at=now)
    )
    data["export_id"] = export_id
    return data


_BALANCES = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")


def _by_subject(table: Table) -> Callable[[Connection, str], int]:
    def erase(connection: Connection, subject_id: str) -> int:
        return connection.execute(delete(table).where(table.c.subject_id == subject_id)).rowcount

    return erase


def _sessions(connection: Connection, subject_id: str) -> int:
    ids = select(identity.sessions.c.id).where(identity.sessions.c.subject_id == subject_id)
    connection.execute(delete(identity.refresh_tokens).where(identity.refresh_tokens.c.session_id.in_(ids)))
    return _by_subject(identity.sessions)(connection, subject_id)


def _devices(connection: Connection, subject_id: str) -> int:
    ids = select(devices.devices.c.id).where(devices.devices.c.subject_id == subject_id)
    connection.execute(delete(devices.nonces).where(devices.nonces.c.device_id.in_(ids)))
    return _by_subject(devices.devices)(connection, subject_id)


ERASERS: dict[str, Callable[[Connection, str], int]] = {
    "privacy_personal_details": details.erase,
    "identity_ethereum_addresses": _by_subject(identity.ethereum_addresses),
    "identity_passkeys": _by_subject(identity.passkeys),
    "identity_webauthn_challenges": _by_subject(identity.challenges),
    "identity_sessions": _sessions,
    "risk_factor_totp": _by_subject(factors.totp_secrets),
    "risk_factor_payment_passwords": _by_subject(factors.payment_passwords),
    "risk_factor_recovery_codes": _by_subject(factors.recovery_codes),
    "risk_factor_lockouts": _by_subject(factors.lockouts),
    "risk_factor_passkey_challenges": _by_subject(factors.passkey_challenges),
    "risk_devices": _devices,
    "risk_device_challenges": _by_subject(devices.challenges),
    "risk_device_fingerprints": _by_subject(devices.fingerprints),
    "risk_factor_proofs": _by_subject(factors.proofs),
    "monitoring_sightings": _by_subject(monitoring.sightings),
}
"""How each table the registry marks `delete` is erased (the analytics events need the key: `erase`)."""


def _record(row: Any) -> Erasure:
    return Erasure(
        row.id, row.subject_id, row.requested_by, row.created_at, json.loads(row.erased), json.loads(row.kept)
    )


def erasure_of(connection: Connection, subject_id: str) -> Erasure | None:
    row = connection.execute(select(erasures).where(erasures.c.subject_id == subject_id)).first()
    return None if row is None else _record(row)


def erase(
    connection: Connection, pseudonymizer: Pseudonymizer | None, subject_id: str, requested_by: str, now: int
) -> tuple[Erasure, bool]:
    """Erase the subject's personal data that the law does not require kept, and record it, in the caller's
    transaction (the caller commits); (the record, whether this call did it). The record's row is claimed
    first, so of two concurrent erasures one erases and the other answers its record."""
    done = erasure_of(connection, subject_id)
    if done is not None:
        return done, False
    erasure_id = f"per_{secrets.token_hex(12)}"
    try:
        with connection.begin_nested():
            connection.execute(
                insert(erasures).values(
                    subject_id=subject_id, id=erasure_id, requested_by=requested_by, created_at=now,
                    erased="{}", kept="{}",
                )
            )  # fmt: skip
    except IntegrityError:  # a concurrent erasure of the subject claimed it first
        found = erasure_of(connection, subject_id)
        assert found is not None
        return found, False
    erased = {table: erase_rows(connection, subject_id) for table, erase_rows in ERASERS.items()}
    erased["privacy_analytics_events"] = (
        0 if pseudonymizer is None else forget(connection, pseudonymizer, subject_id)
    )
    kept = {entry.table: entry.reason for entry in REGISTRY if entry.on_erasure is OnErasure.KEEP}
    kept.pop("privacy_erasures", None)
    connection.execute(
        erasures.update()
        .where(erasures.c.subject_id == subject_id)
        .values(erased=json.dumps(erased, sort_keys=True), kept=json.dumps(kept, sort_keys=True))
    )
    return Erasure(erasure_id, subject_id, requested_by, now, erased, kept), True
