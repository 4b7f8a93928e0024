"""The retention job: delete (or, for identity documents, clear) what is past the period the registry gives
it. Idempotent and safe with several runners at once: each step is one DELETE or UPDATE whose condition only
the expired rows meet, so a second run, or a concurrent one, finds nothing more to do.

Run by `python -m api.privacy retention` (cron) or the API's loop (`TPW_PRIVACY_RETENTION_INTERVAL_SECONDS`).
"""

from collections.abc import Callable
from typing import Final

from sqlalchemy import Connection, Engine, Table, delete, select, update

import risk.devices.schema as devices
import risk.factors.schema as factors
import risk.identity.schema as identity
import risk.kyc.schema as kyc
import risk.screening.schema as screening
from risk.privacy.registry import RegistryError, retention_of
from risk.privacy.schema import analytics_events, erasures, exports, personal_details

MS_PER_SECOND: Final = 1000


def _period(table: str, column: str | None = None) -> int:
    seconds = retention_of(table, column)
    if seconds is None:
        raise RegistryError(f"{table} has no retention period to apply")
    return seconds


def _expired(table: Table, now: int) -> Callable[[Connection], int]:
    def step(connection: Connection) -> int:
        return connection.execute(delete(table).where(table.c.expires_at < now)).rowcount

    return step


def _sessions(now: int) -> Callable[[Connection], int]:
    cutoff = now - _period("identity_sessions")

    def step(connection: Connection) -> int:
        sessions = identity.sessions.c
        old = (sessions.expires_at < cutoff) | (sessions.revoked_at < cutoff)
        ids = select(sessions.id).where(old)
        connection.execute(
            delete(identity.refresh_tokens).where(identity.refresh_tokens.c.session_id.in_(ids))
        )
        return connection.execute(delete(identity.sessions).where(old)).rowcount

    return step


def _lockouts(now: int) -> Callable[[Connection], int]:
    cutoff = now - _period("risk_factor_lockouts")
    lockouts = factors.lockouts.c

    def step(connection: Connection) -> int:
        unlocked = lockouts.locked_until.is_(None) | (lockouts.locked_until < now)
        return connection.execute(
            delete(factors.lockouts).where((lockouts.updated_at < cutoff) & unlocked)
        ).rowcount

    return step


def _older(table: Table, column: str, cutoff: int) -> Callable[[Connection], int]:
    def step(connection: Connection) -> int:
        return connection.execute(delete(table).where(table.c[column] < cutoff)).rowcount

    return step


def _relationship_ended(table: Table, now: int) -> Callable[[Connection], int]:
    """Rows kept 5 years after the relationship ends (AMLD art. 40): an erasure keeps them, and they go once
    their subject's erasure record is older than the table's period."""
    cutoff = now - _period(table.name)
    ended = select(erasures.c.subject_id).where(erasures.c.created_at < cutoff)

    def step(connection: Connection) -> int:
        return connection.execute(delete(table).where(table.c.subject_id.in_(ended))).rowcount

    return step


def _documents(now: int) -> Callable[[Connection], int]:
    cutoff = now - _period("privacy_personal_details", "document_number")
    details = personal_details.c

    def step(connection: Connection) -> int:
        return connection.execute(
            update(personal_details)
            .where(details.document_collected_at < cutoff)
            .values(
                document_kind=None,
                document_number=None,
                document_country=None,
                document_collected_at=None,
                updated_at=now,
            )
        ).rowcount

    return step


def steps(now: int) -> dict[str, Callable[[Connection], int]]:
    """Each retention step at `now` (unix seconds), named by the table it trims."""
    kyc_cutoff_ms = (now - _period("kyc_checks")) * MS_PER_SECOND
    return {
        "identity_siwe_nonces": _expired(identity.siwe_nonces, now),
        "identity_webauthn_challenges": _expired(identity.challenges, now),
        "identity_sessions": _sessions(now),
        "risk_device_challenges": _expired(devices.challenges, now),
        "risk_factor_passkey_challenges": _expired(factors.passkey_challenges, now),
        "risk_device_nonces": _expired(devices.nonces, now),
        "risk_factor_lockouts": _lockouts(now),
        "risk_device_fingerprints": _older(
            devices.fingerprints, "last_seen_at", now - _period("risk_device_fingerprints")
        ),
        "privacy_analytics_events": _older(
            analytics_events, "created_at", now - _period("privacy_analytics_events")
        ),
        "privacy_personal_details.document": _documents(now),
        "kyc_checks": _older(kyc.checks, "completed_at", kyc_cutoff_ms),
        # A subject's screenings before their items: they refer to them.
        "screenings": _relationship_ended(screening.screenings, now),
        "screening_items": _relationship_ended(screening.items, now),
        "privacy_exports": _older(exports, "created_at", now - _period("privacy_exports")),
    }


def run(engine: Engine, now: int) -> dict[str, int]:
    """Apply every retention step at `now`, each in its own transaction; the rows each removed or cleared."""
    done: dict[str, int] = {}
    for name, step in steps(now).items():
        with engine.begin() as connection:
            done[name] = step(connection)
    return done
