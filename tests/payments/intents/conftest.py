"""Fixtures of the payment intent tests: the tables on each backend, a scripted rail, and a ledger reader.

The rail here is a test double, deterministic and in process: it answers by the payment method's name
(`pm_ok`, `pm_3ds`, `pm_async`, `pm_declined`, `pm_failed`) and remembers each idempotency key's answer,
so a retried request gets the first answer and a key reused for another request raises `RailConflict`, as a
real rail's would. It is never shipped as a rail.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, insert

import ledger.schema
import payments.intents.schema
import payments.merchants.schema
import payments.webhooks.schema
from api.db import make_engine
from ledger.accounts import lookup_account
from ledger.check import verify
from payments.intents import intents
from payments.intents.context import Payments
from payments.intents.errors import RailConflict
from payments.intents.model import CaptureMethod, PaymentIntent, RailKind
from payments.intents.postings import clearing_account, fees_account, merchant_account
from payments.intents.rails import OutcomeKind, RailOutcome, RailRequest
from payments.merchants.tenant import Tenant
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.payments.webhooks.conftest import merchant_row

CHALLENGE_URL = "https://rail.test/3ds/challenge"
TENANT = Tenant("acct_merchant_a", livemode=False)
OTHER = Tenant("acct_merchant_b", livemode=False)


@dataclass
class ScriptedRail:
    """A rail answering by payment method; `refuse` names the operations it refuses (capture, ...),
    `defer` those it answers `processing` (their result reported later, as an asynchronous rail does)."""

    kind: RailKind = RailKind.CARD
    refuse: set[str] = field(default_factory=set)
    defer: set[str] = field(default_factory=set)
    answers: dict[str, tuple[RailRequest, RailOutcome]] = field(default_factory=dict)
    calls: list[tuple[str, RailRequest]] = field(default_factory=list)

    def _answer(self, operation: str, request: RailRequest, outcome: RailOutcome) -> RailOutcome:
        self.calls.append((operation, request))
        if request.idempotency_key in self.answers:
            first, answer = self.answers[request.idempotency_key]
            if first != request:
                raise RailConflict(f"idempotency key {request.idempotency_key} names another request")
            return answer
        self.answers[request.idempotency_key] = (request, outcome)
        return outcome

    def authorize(self, request: RailRequest) -> RailOutcome:
        method = request.payment_method or ""
        outcome = {
            "pm_3ds": RailOutcome(OutcomeKind.REQUIRES_ACTION, challenge_url=CHALLENGE_URL),
            "pm_async": RailOutcome(OutcomeKind.PROCESSING),
            "pm_declined": RailOutcome(OutcomeKind.DECLINED, decline_code="insufficient_funds"),
            "pm_failed": RailOutcome(OutcomeKind.FAILED, decline_code="account_closed"),
        }.get(method, success(request.capture))
        return self._answer("authorize", request, outcome)

    def _done(self, operation: str, request: RailRequest) -> RailOutcome:
        kind = OutcomeKind.DECLINED if operation in self.refuse else OutcomeKind.SUCCEEDED
        if operation in self.defer:
            kind = OutcomeKind.PROCESSING
        return self._answer(operation, request, RailOutcome(kind))

    def capture(self, request: RailRequest) -> RailOutcome:
        return self._done("capture", request)

    def cancel(self, request: RailRequest) -> RailOutcome:
        return self._done("cancel", request)

    def refund(self, request: RailRequest) -> RailOutcome:
        return self._done("refund", request)


def success(capture: bool) -> RailOutcome:
    return RailOutcome(OutcomeKind.SUCCEEDED if capture else OutcomeKind.AUTHORIZED)


def create_payment_tables(engine: Engine) -> None:
    """The tables payment steps write on `engine`, TENANT's and OTHER's merchants registered (their steps'
    events are written; see tests/payments/intents/test_events.py)."""
    for metadata in (
        ledger.schema.metadata,
        payments.intents.schema.metadata,
        payments.merchants.schema.metadata,
        payments.webhooks.schema.metadata,
    ):
        metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(payments.merchants.schema.merchants),
            [merchant_row(tenant.merchant_id) for tenant in (TENANT, OTHER)],
        )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    """`create_payment_tables` on this test's database."""
    engine = make_engine(database_url)
    create_payment_tables(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def rail() -> ScriptedRail:
    return ScriptedRail()


@pytest.fixture
def pay(engine: Engine, rail: ScriptedRail) -> Payments:
    return Payments(engine, {RailKind.CARD: rail})


def new_intent(
    pay: Payments,
    amount: int = 10_000,
    *,
    manual: bool = True,
    method: str | None = "pm_ok",
    **options: object,
) -> PaymentIntent:
    capture = CaptureMethod.MANUAL if manual else CaptureMethod.AUTOMATIC
    return intents.create(
        pay,
        TENANT,
        amount=amount,
        currency="EUR",
        rail=RailKind.CARD,
        capture_method=capture,
        payment_method=method,
        **options,  # type: ignore[arg-type]
    )


def posted(engine: Engine, merchant_id: str = TENANT.merchant_id, currency: str = "EUR") -> int:
    """A merchant's posted balance (sandbox)."""
    account = lookup_account(engine, merchant_account(currency, False, merchant_id).id)
    return 0 if account is None else account.balances.posted


def available(engine: Engine, merchant_id: str = TENANT.merchant_id, currency: str = "EUR") -> int:
    account = lookup_account(engine, merchant_account(currency, False, merchant_id).id)
    return 0 if account is None else account.balances.available


def pending(engine: Engine, merchant_id: str = TENANT.merchant_id, currency: str = "EUR") -> int:
    account = lookup_account(engine, merchant_account(currency, False, merchant_id).id)
    return 0 if account is None else account.balances.pending


def fees(engine: Engine, currency: str = "EUR") -> int:
    account = lookup_account(engine, fees_account(currency, False).id)
    return 0 if account is None else account.balances.posted


def clearing(engine: Engine, currency: str = "EUR") -> int:
    account = lookup_account(engine, clearing_account(currency, False, RailKind.CARD).id)
    return 0 if account is None else account.balances.posted


def assert_ledger_clean(engine: Engine) -> None:
    assert verify(engine) == []
