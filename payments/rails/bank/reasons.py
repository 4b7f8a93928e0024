"""The ISO 20022 external status/return reason codes this rail meets, and what each means for an intent.

A rejection or return the customer can get past by paying another way (a mistyped IBAN, not enough money
today) declines the attempt: the intent asks for a payment method again. One that no retry will fix (the
account is closed or blocked, the message itself was refused) fails it. Either way the code itself is the
intent's decline code, as the bank said it.
"""

import enum
from typing import Final

from payments.intents.rails import OutcomeKind, RailOutcome


class Reason(enum.StrEnum):
    INCORRECT_ACCOUNT_NUMBER = "AC01"
    CLOSED_ACCOUNT_NUMBER = "AC04"
    BLOCKED_ACCOUNT = "AC06"
    INSUFFICIENT_FUNDS = "AM04"
    INVALID_FILE_FORMAT = "FF01"
    DUPLICATION = "AM05"


RETRYABLE: Final = frozenset({Reason.INCORRECT_ACCOUNT_NUMBER, Reason.INSUFFICIENT_FUNDS})


def refusal(code: str | None) -> RailOutcome:
    """The outcome of a transfer the bank rejected or returned with `code`."""
    kind = OutcomeKind.DECLINED if code in RETRYABLE else OutcomeKind.FAILED
    return RailOutcome(kind, decline_code=code or "rejected")
