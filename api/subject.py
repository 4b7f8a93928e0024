"""Who a customer-facing route acts for: the `Subject` dependency (`api.deps.SubjectDep`), the one place the
`/v1/devices` routes (and the payment routes that need a device signature) learn their subject.

The subject is the signed-in customer of the session access token (`customer_subject`, on
`api.customer_sessions.customer_session`): a customer registers, lists and revokes only their own devices.
The support desk's path is separate (`operator_subject`, `/v1/subjects/{subject_id}/devices`): an
operator's API key with `devices:admin` reads and revokes the devices of the subject named in the path.

A customer's POST Idempotency-Key is scoped to the subject (`subject:<id>`): two customers using the same key
are two requests, never one's answer replayed to the other; a new session of the same customer does replay
(the retry after a refresh is the same request).
"""

from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Header, Path, Request
from sqlalchemy.orm import Session

from api.auth import ApiClient, require_scope
from api.customer_sessions import customer_session
from api.db import get_session
from api.idempotency.route import Idempotency, idempotency_for
from api.idempotency.store import HEADER
from risk.devices.canonical import SUBJECT_ID_PATTERN
from risk.identity.sessions import SessionPrincipal

SUBJECT_PATH_PATTERN: Final = f"^{SUBJECT_ID_PATTERN.pattern}$"


@dataclass(frozen=True)
class Subject:
    """The identity a request acts for: its own session (`session_id`), or an operator's key (`client`)."""

    subject_id: str
    session_id: str | None = None
    client: ApiClient | None = None

    @property
    def actor(self) -> str:
        """Who acts, as the risk audit log names it: the operator's key or the customer's session."""
        if self.client is not None:
            return key_actor(self.client.key_id)
        if self.session_id is None:
            raise ValueError("a subject acts through a session or a key")
        return session_actor(self.session_id)


def key_actor(key_id: str) -> str:
    """An API key as an audit record's actor (`key:<id>`, as the reviewers' decisions name it)."""
    return f"key:{key_id}"


def session_actor(session_id: str) -> str:
    """A customer's session as an audit record's actor: the session, not only the customer, so a change
    made from a stolen session is told apart from the owner's."""
    return f"session:{session_id}"


async def customer_subject(
    principal: Annotated[SessionPrincipal, Depends(customer_session)],
) -> Subject:
    """The signed-in customer; 401 without a live session access token."""
    return Subject(principal.subject_id, session_id=principal.session_id)


async def operator_subject(
    client: Annotated[ApiClient, Depends(require_scope("devices:admin"))],
    subject_id: Annotated[
        str,
        Path(
            pattern=SUBJECT_PATH_PATTERN,
            description="The subject (identity id, e.g. `idn_<hex>`) the operator acts for.",
        ),
    ],
) -> Subject:
    """The subject named in the path, for an operator's key with `devices:admin` (403 without)."""
    return Subject(subject_id, client=client)


async def subject_idempotency(
    request: Request,
    subject: Annotated[Subject, Depends(customer_subject)],
    session: Annotated[Session, Depends(get_session)],
    key: Annotated[str | None, Header(alias=HEADER, include_in_schema=False)] = None,
) -> Idempotency:
    """The customer's POST Idempotency-Key, scoped to the subject; 400 when missing or malformed."""
    return idempotency_for(request, session, f"subject:{subject.subject_id}", key)
