"""The one interface every rail (card, bank, stablecoin) offers the payment intents.

A rail is another process (the sandbox card processor, the ISO 20022 bank, the PaymentRouter watcher); this
module only says what the intents ask of it and what it may answer. Every request carries an idempotency
key derived from (intent id, step), so a retried step asks the rail the same question again and the rail
answers it once. An authorization may answer `requires_action` with the URL of a challenge (3-D Secure,
a bank's step-up); the rail reports the challenge's result later, as another outcome
(`intents.complete_action`), and an asynchronous rail reports a `processing` payment's result the same way
(`intents.complete_processing`).
"""

import enum
from dataclasses import dataclass
from typing import Protocol

from payments.intents.model import RailKind


class OutcomeKind(enum.StrEnum):
    AUTHORIZED = "authorized"
    """Funds held for a later capture (manual capture)."""
    SUCCEEDED = "succeeded"
    """Done: captured (automatic capture), or a capture, cancel or refund carried out."""
    REQUIRES_ACTION = "requires_action"
    """The customer must complete a challenge at `challenge_url` first."""
    PROCESSING = "processing"
    """Accepted; the result comes later (bank transfers, on-chain confirmations)."""
    DECLINED = "declined"
    """Refused, but another payment method may succeed (`decline_code` says why)."""
    FAILED = "failed"
    """Refused for good: the intent cannot succeed."""


@dataclass(frozen=True, slots=True)
class RailOutcome:
    kind: OutcomeKind
    challenge_url: str | None = None
    decline_code: str | None = None

    def __post_init__(self) -> None:
        if (self.kind is OutcomeKind.REQUIRES_ACTION) != (self.challenge_url is not None):
            raise ValueError("a challenge URL comes with requires_action, and only with it")


@dataclass(frozen=True, slots=True)
class RailRequest:
    """What a rail is asked: `amount` is the amount to authorize, capture or refund (0 for a cancel)."""

    idempotency_key: str
    payment_intent_id: str
    merchant_id: str
    livemode: bool
    currency: str
    amount: int
    payment_method: str | None = None
    capture: bool = False
    """For an authorization: capture at once (the intent's capture method is automatic)."""


class Rail(Protocol):
    """A rail's client. Implementations live with their rail; tests use an in-process double.

    The contract on idempotency keys is Stripe's: the same key with the same request answers the first
    answer again; the same key with another request (two steps on one intent racing with different
    amounts) raises `payments.intents.errors.RailConflict`, so the rail never does what the ledger will not
    record.
    """

    @property
    def kind(self) -> RailKind: ...

    def authorize(self, request: RailRequest) -> RailOutcome: ...

    def capture(self, request: RailRequest) -> RailOutcome: ...

    def cancel(self, request: RailRequest) -> RailOutcome: ...

    def refund(self, request: RailRequest) -> RailOutcome: ...
