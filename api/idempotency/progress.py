"""How far a request's work has committed (Stripe's recovery points), and the hooks that commit its next
phase, or its response, atomically with the key's row."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from api.idempotency.store import FINISHED, HEADER, STARTED, update_held, utc_now

_Row = TypeVar("_Row")
_Result = TypeVar("_Result", bound=BaseModel)


class ClaimLost(RuntimeError):
    """The claim was taken over by a retry (this request outlived `lock_timeout`): its phase must not
    commit, or the work would be done twice."""


@dataclass
class Progress:
    """How far this request's work has committed, and the means to commit the next phase atomically.

    `advance` and `finish` return hooks for a store function to call inside its transaction, just before
    its commit: the hook writes the key's new recovery point (or the response) in that same transaction, and
    fails it (`ClaimLost`) if this request no longer holds the key.
    """

    session: Session
    principal: str
    key: str
    token: str
    status_code: int
    point: str = STARTED
    data: dict[str, Any] = field(default_factory=dict)
    response_body: str | None = None

    @property
    def resumed(self) -> bool:
        """True when an earlier request with this key committed a phase and this one carries on from it."""
        return self.point != STARTED

    def _write(self, **values: Any) -> None:
        if update_held(self.session, self.principal, self.key, self.token, **values) != 1:
            raise ClaimLost(f"the claim on {HEADER} {self.key!r} was taken over by a retry")

    def advance(self, point: str, **data: Any) -> Callable[[object], None]:
        """A hook that records recovery point `point` (with `data`) in the caller's transaction."""

        def record(_row: object) -> None:
            # Each phase also renews the claim's lease: a request that is making progress is never taken
            # over by a retry (which would throw its finished work away) however long it has run.
            self._write(recovery_point=point, recovery_data=data, locked_at=utc_now())
            self.point, self.data = point, data

        return record

    def save(self, point: str, **data: Any) -> None:
        """Commit recovery point `point` on its own (a phase whose only write is the decision it took)."""
        self.advance(point, **data)(None)
        self.session.commit()

    def finish(self, view: Callable[[_Row], BaseModel]) -> Callable[[_Row], None]:
        """A hook that stores the response, `view` of the row the caller's transaction wrote, in that
        transaction: the work's last writes and its stored response commit together."""

        def record(row: _Row) -> None:
            body = _render(view(row), self.status_code)
            self._write(
                status_code=self.status_code, response_body=body, claim_token=None, recovery_point=FINISHED
            )
            self.response_body, self.point = body, FINISHED

        return record

    def respond(self, result: BaseModel) -> None:
        """Store `result` as the response in a transaction of its own (work whose writes are all done)."""
        self.finish(lambda _: result)(None)
        self.session.commit()


def committed(session: Session, progress: Progress, work: Callable[[Connection], _Result]) -> _Result:
    """`work` on the request session's transaction, its answer stored with the key in it (`finish`), both
    committed at once; on failure, rolled back together."""
    try:
        result = work(session.connection())
        progress.finish(lambda _: result)(None)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _render(result: BaseModel, status_code: int) -> str:
    return bytes(JSONResponse(result.model_dump(mode="json"), status_code=status_code).body).decode()
