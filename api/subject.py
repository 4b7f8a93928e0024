"""Who a customer-facing route acts for: the `Subject` dependency (`api.deps.SubjectDep`), the one place the
`/v1/devices` routes (and, later, the payment routes that need a device signature) learn their subject.

For now the subject comes from the operator path: an operator's API key with the scope `devices:admin` acts
for the subject named in the `TPW-Subject-Id` header (a support desk, or a backend that authenticated the
customer itself). When customer sessions land, this dependency resolves the subject from the session
instead and the routes stay as they are.

A POST's Idempotency-Key is scoped to the key *and* the subject: one operator key acting for two subjects
with the same Idempotency-Key is two requests, never one subject's answer replayed to the other.
"""

from dataclasses import dataclass, replace
from typing import Annotated, Final

from fastapi import Depends, Header

from api.auth import ApiClient, require_scope
from api.idempotency.route import Idempotency, idempotency
from risk.devices.canonical import SUBJECT_ID_PATTERN

SUBJECT_HEADER: Final = "TPW-Subject-Id"


@dataclass(frozen=True)
class Subject:
    """The identity a devices request acts for, and the API key acting (for audit)."""

    subject_id: str
    client: ApiClient


async def operator_subject(
    client: Annotated[ApiClient, Depends(require_scope("devices:admin"))],
    subject_id: Annotated[
        str,
        Header(
            alias=SUBJECT_HEADER,
            pattern=f"^{SUBJECT_ID_PATTERN.pattern}$",
            description="The subject (identity id, e.g. `idn_<hex>`) an operator's key acts for.",
        ),
    ],
) -> Subject:
    """The subject named in `TPW-Subject-Id`, for an operator's key with `devices:admin` (403 without)."""
    return Subject(subject_id, client)


async def subject_idempotency(
    subject: Annotated[Subject, Depends(operator_subject)],
    claimed: Annotated[Idempotency, Depends(idempotency)],
) -> Idempotency:
    """The POST's Idempotency-Key, scoped to the calling key and the subject it acts for."""
    return replace(claimed, principal=f"{claimed.principal}/{subject.subject_id}")
