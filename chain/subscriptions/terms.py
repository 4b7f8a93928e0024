"""Subscription plans and subscriptions as the contract keeps them: limits, statuses, the billing rule.

`next_paid_through` is the contract's billing rule line for line and `check_plan_terms` its plan checks, so
the keeper and the tests can say what a charge or `create_plan` will do without asking the chain.
"""

from dataclasses import dataclass
from enum import IntEnum

from eth_typing import ChecksumAddress

from chain.errors import ChainError

BPS = 10_000
MAX_AMOUNT = 2**96 - 1
MAX_PERIOD = 2**32 - 1
MAX_GRACE = 2**24 - 1
MAX_PERIODS = 2**16 - 1
"""The contract's limits (see its constants): `create_plan` refuses anything larger."""


class SubscriptionError(ChainError):
    """A plan or subscription that does not exist, or an answer from the manager that makes no sense."""


class UnknownPlan(SubscriptionError, LookupError):
    """No plan has that id."""


class UnknownSubscription(SubscriptionError, LookupError):
    """No subscription has that id."""


class SubscriptionStatus(IntEnum):
    """A subscription's status, as the contract numbers it."""

    NONE = 0
    ACTIVE = 1
    PAST_DUE = 2
    CANCELLED = 3
    LAPSED = 4
    COMPLETED = 5


LIVE_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE})
"""Statuses in which a subscription can still be charged."""


class SubscribeMethod(IntEnum):
    """How a subscription was authorised: the `method` of the `Subscribed` event."""

    ALLOWANCE = 1
    PERMIT = 2
    AUTHORIZATION = 3


@dataclass(frozen=True)
class Plan:
    """A plan's terms (fixed at creation) and whether its merchant has paused it."""

    plan_id: int
    merchant: ChecksumAddress
    token: ChecksumAddress
    amount: int
    period: int
    trial: int
    grace: int
    max_periods: int
    fee_bps: int
    paused: bool

    @property
    def fee(self) -> int:
        """Base units of each charge that go to the treasury (rounded down, as the contract does)."""
        return self.amount * self.fee_bps // BPS

    @property
    def merchant_amount(self) -> int:
        """Base units of each charge the merchant receives."""
        return self.amount - self.fee


@dataclass(frozen=True)
class Subscription:
    """A subscription's state: `paid_through` is the end of the last paid period (or of the trial)."""

    subscription_id: int
    subscriber: ChecksumAddress
    plan_id: int
    status: SubscriptionStatus
    paid_through: int
    periods_paid: int
    grace_ends: int

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    def due(self, now: int) -> bool:
        """Whether a charge at time `now` would try to collect (its plan must also not be paused)."""
        return self.live and now >= self.paid_through


@dataclass(frozen=True)
class ChargeReport:
    """What one `charge` or `charge_many` transaction did, from its events."""

    tx_hash: str
    block_number: int
    gas_used: int
    charged: dict[int, int]
    """Subscription id -> its new paid-through time."""
    failed: dict[int, int]
    """Subscription id -> when its grace ends: the payment failed and it is past due."""
    skipped: dict[int, str]
    """Subscription id -> why its charge reverted (not due, paused, fee-on-transfer token, ...)."""
    lapsed: tuple[int, ...]
    completed: tuple[int, ...]


def next_paid_through(paid_through: int, period: int, now: int) -> int:
    """The paid-through time after a charge at `now` (>= `paid_through`): the end of the period holding `now`.

    Billing is anchored at the subscription's start, and periods nobody charged are not billed later.
    """
    if now < paid_through:
        raise SubscriptionError(f"not due: paid through {paid_through}, now {now}")
    return paid_through + ((now - paid_through) // period + 1) * period


def check_plan_terms(amount: int, period: int, trial: int, grace: int, max_periods: int) -> None:
    """Raise `SubscriptionError` naming the term `create_plan` would refuse, if any.

    The grace must be shorter than the period: a retry inside the grace then pays the period of the first
    failure or the next one, so a late payment never skips a whole period unbilled.
    """
    limits = {
        "amount": (amount, 1, MAX_AMOUNT),
        "period": (period, 1, MAX_PERIOD),
        "trial": (trial, 0, MAX_PERIOD),
        "grace": (grace, 0, MAX_GRACE),
        "max_periods": (max_periods, 0, MAX_PERIODS),
    }
    for name, (value, low, high) in limits.items():
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise SubscriptionError(f"plan {name} {value!r} is not an integer in [{low}, {high}]")
    if grace >= period:
        raise SubscriptionError(f"plan grace {grace} is not shorter than its period {period}")
