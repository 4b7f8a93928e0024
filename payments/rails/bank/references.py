"""The identifiers our messages carry, derived from our own ids so a resubmission is the same message.

ISO 20022 identifiers are at most 35 characters (`Max35Text`). `message_id` is the pain.001's MsgId: a
digest of the step's idempotency key, so asking again sends the same MsgId and the bank (which refuses a
MsgId twice, as every bank does) answers its first answer. `end_to_end_id` is the EndToEndId the bank echoes
in every report: the intent's or refund's own id when it fits, else a digest of it. The remittance text
(`Ustrd`, 140 characters) carries the step's idempotency key itself (`<intent>:authorize:<attempt>` or
`<intent>:refund:<refund id>`): `StepReference` reads it back, so a report names the exact attempt or refund
it is about without any table of ours mapping the bank's ids.
"""

import hashlib
import re
from dataclasses import dataclass
from typing import Final

from payments.rails.bank.xsd import InvalidMessage

MAX_ID_LENGTH: Final = 35
_PLAIN_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,35}")
_STEP: Final = re.compile(
    r"(?P<intent>[A-Za-z0-9_-]{1,64}):(?:authorize:(?P<attempt>[0-9]{1,9})|refund:(?P<refund>[A-Za-z0-9_-]{1,40}))"
)


def _digest(prefix: str, value: str) -> str:
    return prefix + hashlib.sha256(value.encode()).hexdigest()[: MAX_ID_LENGTH - len(prefix)]


def message_id(idempotency_key: str) -> str:
    """The pain.001 MsgId of a step: the same for every retry of the step, different for any other."""
    return _digest("TPW", idempotency_key)


def end_to_end_id(object_id: str) -> str:
    """The EndToEndId of an intent or refund id."""
    return object_id if _PLAIN_ID.fullmatch(object_id) else _digest("E2E", object_id)


@dataclass(frozen=True, slots=True)
class StepReference:
    """Which step a transfer carries out: an intent's authorization attempt, or one of its refunds."""

    payment_intent_id: str
    attempt: int | None = None
    refund_id: str | None = None

    @property
    def object_id(self) -> str:
        return self.refund_id if self.refund_id is not None else self.payment_intent_id

    @property
    def end_to_end_id(self) -> str:
        return end_to_end_id(self.object_id)

    @classmethod
    def of_key(cls, idempotency_key: str | None) -> "StepReference":
        """The step an idempotency key (our remittance text) names; `InvalidMessage` if none."""
        matched = _STEP.fullmatch(idempotency_key or "")
        if matched is None:
            raise InvalidMessage("the remittance information names none of our steps")
        attempt = matched.group("attempt")
        return cls(
            matched.group("intent"), None if attempt is None else int(attempt), matched.group("refund")
        )

    @classmethod
    def parse(cls, remittance: str | None, end_to_end: str | None) -> "StepReference":
        """The step a report's remittance text names, checked against its EndToEndId."""
        reference = cls.of_key(remittance)
        if end_to_end != reference.end_to_end_id:
            raise InvalidMessage("the EndToEndId does not match the step the remittance information names")
        return reference
