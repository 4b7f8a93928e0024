"""Identity checks asked of a KYC provider, and the tier an approved one grants.

A provider (`KycProvider`) is reached over the network by a client outside this package; the outcome comes
back later (the provider's signed webhook, verified by the API) and is recorded with `record_outcome`.
A check is written before the provider is asked, and our check id is the provider's idempotency key, so a
retried `start` cannot open two checks there. Only the check's status and reasons are stored here: the name,
date of birth and document number go to the provider and nowhere else.

Statuses: `pending` (asked) -> `review` (the provider's analyst looks) -> `approved` | `rejected`; `failed`
when the provider refused the request. An outcome repeated (a webhook replayed) changes nothing; one that
contradicts a final outcome is refused. An approval raises the subject's tier to the check's in the same
transaction, never lowers it. Times are unix milliseconds from the injected clock.
"""

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final, Protocol

from sqlalchemy import Connection, Engine, Row, insert, select, update

from risk.kyc.assignments import change_tier
from risk.kyc.errors import CheckNotFound, InvalidCheck, OutcomeConflict
from risk.kyc.schema import checks
from risk.kyc.tiers import Tier

MAX_NAME_LENGTH: Final = 256
MAX_DOCUMENT_LENGTH: Final = 64
MAX_REASONS_LENGTH: Final = 512
COUNTRY: Final = re.compile(r"[A-Z]{2}")


class CheckStatus(StrEnum):
    """Where a check stands (see the module docstring for the moves between them)."""

    PENDING = "pending"
    REVIEW = "review"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"


FINAL: Final = frozenset({CheckStatus.APPROVED, CheckStatus.REJECTED, CheckStatus.FAILED})
OUTCOMES: Final = frozenset({CheckStatus.REVIEW, CheckStatus.APPROVED, CheckStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """What a provider is asked to verify: `light` needs name, date of birth and country; `full` also an
    identity document's number."""

    subject_id: str
    tier: Tier
    full_name: str
    date_of_birth: date
    country: str  # ISO 3166-1 alpha-2
    document_number: str | None = None
    document_expires_on: date | None = None

    def __post_init__(self) -> None:
        if self.tier is Tier.NONE:
            raise InvalidCheck("a check asks for tier light or full", field="tier")
        if not 1 <= len(self.subject_id) <= 64:
            raise InvalidCheck("subject_id must be 1 to 64 characters", field="subject_id")
        if not self.full_name.strip() or len(self.full_name) > MAX_NAME_LENGTH:
            raise InvalidCheck(f"full_name must be 1 to {MAX_NAME_LENGTH} characters", field="full_name")
        if not COUNTRY.fullmatch(self.country):
            raise InvalidCheck("country must be an ISO 3166-1 alpha-2 code", field="country")
        document = (self.document_number or "").strip()
        if self.tier is Tier.FULL and not document:
            raise InvalidCheck("a full check needs an identity document", field="document_number")
        if len(document) > MAX_DOCUMENT_LENGTH:
            raise InvalidCheck(
                f"document_number is over {MAX_DOCUMENT_LENGTH} characters", field="document_number"
            )


class KycProvider(Protocol):
    """A KYC provider's client: `submit` starts a check of the subject with its documents (or, in a
    sandbox, its test data), keyed by our `check_id` (the provider's idempotency key), and returns the
    provider's id for the check; it raises on refusal or transport failure. The result arrives later, as a
    `ProviderResult` from the provider's signed webhook, and is recorded with `Checks.record_outcome`."""

    name: str

    def submit(self, check_id: str, request: CheckRequest) -> str: ...


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """A provider's result of one check, as its client read it from a verified webhook: the provider's id
    for the check, our check id it echoes (its `reference`), the outcome and the reasons given."""

    provider_check_id: str
    check_id: str
    status: CheckStatus
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Check:
    """A stored check: the tier it would grant, the provider's id for it, its status and reasons."""

    id: str
    subject_id: str
    provider: str
    provider_check_id: str | None
    tier: Tier
    status: CheckStatus
    reasons: str
    created_at: int
    completed_at: int | None


class Checks:
    """KYC checks in `engine`'s database."""

    def __init__(self, engine: Engine, *, clock: Callable[[], int]) -> None:
        self.engine = engine
        self.clock = clock

    def start(self, provider: KycProvider, request: CheckRequest) -> Check:
        """Record the check, then ask `provider`; a provider's refusal is recorded as `failed` and
        re-raised. (The API's route splits these phases around its Idempotency-Key: `record_pending`,
        then `provider.submit`, then `note_submitted` with the stored answer.)"""
        with self.engine.begin() as connection:
            check_id = self.record_pending(connection, provider.name, request)
        try:
            provider_check_id = provider.submit(check_id, request)
        except Exception as error:
            self._update(check_id, status=str(CheckStatus.FAILED), reasons=type(error).__name__)
            raise
        with self.engine.begin() as connection:
            return self.note_submitted(connection, check_id, provider_check_id)

    def record_pending(self, connection: Connection, provider_name: str, request: CheckRequest) -> str:
        """Insert a pending check on the caller's transaction; its id, which is the provider's `reference`
        (a provider keeps one check per reference, so submitting it again starts nothing new)."""
        check_id = f"kyc_chk_{secrets.token_hex(10)}"
        connection.execute(
            insert(checks).values(
                id=check_id,
                subject_id=request.subject_id,
                provider=provider_name,
                tier=str(request.tier),
                status=str(CheckStatus.PENDING),
                reasons="",
                created_at=self.clock(),
            )
        )
        return check_id

    def note_submitted(self, connection: Connection, check_id: str, provider_check_id: str) -> Check:
        """The provider took the check as `provider_check_id`: stored on the caller's transaction."""
        connection.execute(
            update(checks).where(checks.c.id == check_id).values(provider_check_id=provider_check_id)
        )
        row = connection.execute(select(checks).where(checks.c.id == check_id)).first()
        if row is None:
            raise CheckNotFound(f"no check {check_id}", field="check_id")
        return check_from_row(row)

    def _update(self, check_id: str, **values: Any) -> None:
        if values.get("status") in FINAL:
            values["completed_at"] = self.clock()
        with self.engine.begin() as connection:
            connection.execute(update(checks).where(checks.c.id == check_id).values(**values))

    def record_outcome(
        self, provider: str, provider_check_id: str, status: CheckStatus, reasons: Sequence[str] = ()
    ) -> Check:
        """Record the provider's outcome of a check (see the module docstring); an approval raises the
        subject's tier in the same transaction."""
        if status not in OUTCOMES:
            raise InvalidCheck(f"{status} is not an outcome a provider reports", field="status")
        text = "; ".join(reason.strip() for reason in reasons if reason.strip())[:MAX_REASONS_LENGTH]
        now = self.clock()
        with self.engine.begin() as connection:
            row = connection.execute(
                select(checks)
                .where(checks.c.provider == provider, checks.c.provider_check_id == provider_check_id)
                .with_for_update()
            ).first()
            if row is None:
                raise CheckNotFound(f"no {provider} check {provider_check_id}", field="provider_check_id")
            check = check_from_row(row)
            if check.status is status:
                return check
            if check.status in FINAL:
                raise OutcomeConflict(
                    f"check {check.id} is already {check.status}, not {status}", field="status"
                )
            completed = now if status in FINAL else None
            connection.execute(
                update(checks)
                .where(checks.c.id == check.id)
                .values(status=str(status), reasons=text, completed_at=completed)
            )
            if status is CheckStatus.APPROVED:
                change_tier(
                    connection,
                    check.subject_id,
                    check.tier,
                    actor=f"{provider}:{provider_check_id}"[:64],
                    reason=f"KYC check {check.id} approved",
                    now=now,
                    upward_only=True,
                )
        return self.get(check.id)

    def of_subject(self, subject_id: str, limit: int = 50) -> list[Check]:
        """The subject's checks, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(checks)
                .where(checks.c.subject_id == subject_id)
                .order_by(checks.c.created_at.desc(), checks.c.id)
                .limit(limit)
            ).all()
        return [check_from_row(row) for row in rows]

    def get(self, check_id: str) -> Check:
        with self.engine.connect() as connection:
            row = connection.execute(select(checks).where(checks.c.id == check_id)).first()
        if row is None:
            raise CheckNotFound(f"no check {check_id}", field="check_id")
        return check_from_row(row)


def check_from_row(row: Row[Any]) -> Check:
    return Check(
        id=row.id,
        subject_id=row.subject_id,
        provider=row.provider,
        provider_check_id=row.provider_check_id,
        tier=Tier(row.tier),
        status=CheckStatus(row.status),
        reasons=row.reasons,
        created_at=row.created_at,
        completed_at=row.completed_at,
    )
