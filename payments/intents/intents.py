"""The payment intent's transitions up to its capture: create, attach a payment method, confirm, the rail's
reports on a challenge or an asynchronous payment, capture and cancel.

Each is a function that checks the intent's status (`transitions.require`, raising `UnexpectedState`
naming it) and commits the new status with its ledger transfers in one transaction (`Payments.writing`),
or leaves that transaction to its caller to commit (`Payments.joining`).
Refunds and disputes, which follow a success, are in `payments.intents.refunds` and `.disputes`.
"""

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Final

from iso4217 import Currency
from sqlalchemy import Connection, select

from payments.intents import movements, rendering, store
from payments.intents.context import Payments, new_id, rail_request
from payments.intents.errors import InvalidAmount, InvalidRequest, RailRefused, UnexpectedState
from payments.intents.events import announce
from payments.intents.guard import hold
from payments.intents.guard.gate import RiskSignals
from payments.intents.model import (
    Action,
    CancellationReason,
    CaptureMethod,
    FeeSchedule,
    IntentStatus,
    PaymentIntent,
    RailKind,
    Share,
    ShareSpec,
    require_amount,
)
from payments.intents.postings import open_accounts, submit
from payments.intents.rails import OutcomeKind, RailOutcome
from payments.intents.split import check_shares
from payments.merchants.tenant import Tenant
from risk.identity.schema import identities

S = IntentStatus
NO_FEES = FeeSchedule()
PAYMENT_METHOD_MAX_LENGTH = 128
LAST_ERROR_MAX_LENGTH = 255
AUTHORIZATION_LAPSE_SECONDS: Final = 7 * 24 * 3600
"""How long an authorization may wait for its capture by default: Stripe's 7 days (`expire_uncaptured`)."""


def _amount(name: str, value: object) -> int:
    try:
        return require_amount(name, value)
    except (TypeError, ValueError) as error:
        raise InvalidAmount(str(error), field=name) from error


def _currency(currency: str) -> str:
    try:
        Currency(currency)
    except ValueError as error:
        raise InvalidRequest(f"{currency!r} is not an ISO 4217 currency code", field="currency") from error
    if currency != currency.upper():
        raise InvalidRequest("a currency code is upper case", field="currency")
    return currency


def _payment_method(value: str | None) -> str | None:
    if value is not None and not 0 < len(value) <= PAYMENT_METHOD_MAX_LENGTH:
        raise InvalidRequest(
            f"a payment method is 1..{PAYMENT_METHOD_MAX_LENGTH} characters", field="payment_method"
        )
    return value


def create(
    payments: Payments,
    tenant: Tenant,
    *,
    amount: int,
    currency: str,
    rail: RailKind,
    capture_method: CaptureMethod = CaptureMethod.AUTOMATIC,
    payment_method: str | None = None,
    shares: Sequence[ShareSpec] | None = None,
    fee_schedule: FeeSchedule = NO_FEES,
    customer: str | None = None,
) -> PaymentIntent:
    """A new intent, `requires_payment_method` (or `requires_confirmation` with a payment method).

    Without `shares` the whole amount goes to the tenant's own balance. The ledger accounts the intent will
    use are opened now, in the same transaction. `customer` is the paying customer's identity (a customer
    `idn_...` that exists), whom the risk engine assesses when the intent is confirmed.
    """
    amount = _amount("amount", amount)
    if RailKind(rail) is RailKind.BANK and CaptureMethod(capture_method) is CaptureMethod.MANUAL:
        # A credit transfer moves the money when executed: there is no authorization to hold and capture.
        raise InvalidRequest("a bank transfer cannot be held for a later capture", field="capture_method")
    split = list(shares) if shares is not None else [ShareSpec(tenant.merchant_id, amount)]
    check_shares(amount, split)
    now = payments.clock()
    intent = PaymentIntent(
        id=new_id("pi"),
        merchant_id=tenant.merchant_id,
        livemode=tenant.livemode,
        status=S.REQUIRES_PAYMENT_METHOD if payment_method is None else S.REQUIRES_CONFIRMATION,
        amount=amount,
        currency=_currency(currency),
        capture_method=CaptureMethod(capture_method),
        rail=RailKind(rail),
        payment_method=_payment_method(payment_method),
        fee_bps=fee_schedule.bps,
        fee_fixed=fee_schedule.fixed,
        created_at=now,
        updated_at=now,
        shares=tuple(
            Share(index, spec.destination, spec.amount, 0, 0, 0, 0) for index, spec in enumerate(split)
        ),
        customer=customer,
    )
    with payments.transaction() as connection:
        if customer is not None:
            _require_customer(connection, customer)
        open_accounts(connection, movements.accounts_of(intent))
        store.insert_intent(connection, intent)
        announce(connection, tenant, "payment_intent.created", rendering.payment_intent(intent), now)
    return intent


def _require_customer(connection: Connection, customer: str) -> None:
    kind = connection.scalar(select(identities.c.kind).where(identities.c.id == customer))
    if kind != "customer":
        raise InvalidRequest(f"no customer {customer}", field="customer")


def retrieve(payments: Payments, tenant: Tenant, intent_id: str) -> PaymentIntent:
    return payments.read(tenant, intent_id)


def attach_payment_method(
    payments: Payments, tenant: Tenant, intent_id: str, payment_method: str
) -> PaymentIntent:
    """Set or replace the payment method; the intent then waits for confirmation (an open challenge is
    abandoned, as Stripe does when the payment method changes)."""
    _payment_method(payment_method)

    def attach(_: Connection, intent: PaymentIntent) -> PaymentIntent:
        # The risk engine's hold goes with the challenge: the next confirmation is assessed afresh.
        return replace(
            intent,
            payment_method=payment_method,
            status=S.REQUIRES_CONFIRMATION,
            next_action_url=None,
            risk_action=None,
        )

    return payments.step(tenant, intent_id, Action.ATTACH_PAYMENT_METHOD, attach)


def confirm(
    payments: Payments,
    tenant: Tenant,
    intent_id: str,
    payment_method: str | None = None,
    signals: RiskSignals | None = None,
) -> PaymentIntent:
    """Ask the risk engine (an intent with a customer, `payments.intents.guard`), then the rail to authorize
    (and, for automatic capture, capture); the engine's hold or the rail's answer moves the intent."""
    seen = payments.read(tenant, intent_id, Action.CONFIRM)
    method = _payment_method(payment_method) or seen.payment_method
    if method is None:
        raise InvalidRequest("confirming needs a payment method", field="payment_method")
    verdict = hold.assess(payments, replace(seen, payment_method=method), signals or RiskSignals())
    if verdict is not None and verdict.holds:
        return hold.hold(payments, tenant, verdict, replace(seen, payment_method=method))
    actor = payments.risk.actor if payments.risk is not None else ""
    allowed = hold.allowed(verdict, actor)
    attempt = seen.attempt + 1
    asked = replace(seen, payment_method=method)
    automatic = seen.capture_method is CaptureMethod.AUTOMATIC
    outcome = payments.rail(seen.rail).authorize(
        rail_request(asked, f"authorize:{attempt}", seen.amount, capture=automatic)
    )

    def authorized(connection: Connection, intent: PaymentIntent) -> PaymentIntent:
        moved = _authorized(connection, replace(intent, payment_method=method, attempt=attempt), outcome)
        return allowed(connection, moved)

    after = payments.step(tenant, intent_id, Action.CONFIRM, authorized, seen)
    hold.went_ahead(payments, verdict)
    return after


def complete_action(
    payments: Payments, tenant: Tenant, intent_id: str, outcome: RailOutcome
) -> PaymentIntent:
    """The rail's report on a challenge (3-D Secure): it moves the intent like an authorization. A hold of
    the risk engine is no rail's to end (`payments.intents.guard.release` ends it)."""

    def completed(connection: Connection, intent: PaymentIntent) -> PaymentIntent:
        if intent.risk_action is not None:
            raise UnexpectedState(
                intent.id, f"{intent.status} (held by the risk engine)", Action.COMPLETE_ACTION
            )
        return _authorized(connection, intent, outcome)

    return payments.step(tenant, intent_id, Action.COMPLETE_ACTION, completed)


def complete_processing(
    payments: Payments, tenant: Tenant, intent_id: str, outcome: RailOutcome
) -> PaymentIntent:
    """The rail's final report on an asynchronous payment."""
    if outcome.kind in (OutcomeKind.PROCESSING, OutcomeKind.REQUIRES_ACTION):
        raise InvalidRequest(f"a processing payment cannot end as {outcome.kind}", field="outcome")
    return payments.step(
        tenant,
        intent_id,
        Action.COMPLETE_PROCESSING,
        lambda connection, intent: _authorized(connection, intent, outcome),
    )


def _authorized(connection: Connection, intent: PaymentIntent, outcome: RailOutcome) -> PaymentIntent:
    """The intent after the rail's answer to an authorization, with the ledger transfers it makes."""
    base = replace(intent, next_action_url=None, last_payment_error=None)
    manual = intent.capture_method is CaptureMethod.MANUAL
    error = (outcome.decline_code or str(outcome.kind))[:LAST_ERROR_MAX_LENGTH]
    match outcome.kind:
        case OutcomeKind.REQUIRES_ACTION:
            return replace(base, status=S.REQUIRES_ACTION, next_action_url=outcome.challenge_url)
        case OutcomeKind.PROCESSING:
            return replace(base, status=S.PROCESSING)
        case OutcomeKind.DECLINED:
            return replace(
                base, status=S.REQUIRES_PAYMENT_METHOD, payment_method=None, last_payment_error=error
            )
        case OutcomeKind.FAILED:
            return replace(base, status=S.FAILED, last_payment_error=error)
        case OutcomeKind.AUTHORIZED if manual:
            submit(connection, movements.authorize(intent))
            return replace(base, status=S.REQUIRES_CAPTURE, amount_capturable=intent.amount)
        case OutcomeKind.SUCCEEDED if not manual:
            specs, shares = movements.capture_at_once(intent)
            submit(connection, specs)
            fee = sum(share.fee for share in shares)
            return replace(
                base, status=S.SUCCEEDED, amount_received=intent.amount, amount_fee=fee, shares=shares
            )
    raise RailRefused(f"the rail answered {outcome.kind} to a {intent.capture_method} capture authorization")


def capture(
    payments: Payments, tenant: Tenant, intent_id: str, amount_to_capture: int | None = None
) -> PaymentIntent:
    """Capture `amount_to_capture` (default: all) of the held amount; the rest is released."""
    seen = payments.read(tenant, intent_id, Action.CAPTURE)
    amount = (
        seen.amount_capturable
        if amount_to_capture is None
        else _amount("amount_to_capture", amount_to_capture)
    )
    if amount > seen.amount_capturable:
        raise InvalidAmount(
            f"amount_to_capture {amount} exceeds amount_capturable {seen.amount_capturable}",
            field="amount_to_capture",
        )
    outcome = payments.rail(seen.rail).capture(rail_request(seen, "capture", amount))
    if outcome.kind is not OutcomeKind.SUCCEEDED:
        raise RailRefused(f"the rail answered {outcome.kind} to the capture")

    def captured(connection: Connection, intent: PaymentIntent) -> PaymentIntent:
        specs, shares = movements.capture_held(intent, amount)
        submit(connection, specs)
        fee = sum(share.fee for share in shares)
        return replace(
            intent,
            status=S.SUCCEEDED,
            amount_capturable=0,
            amount_received=amount,
            amount_fee=fee,
            shares=shares,
        )

    return payments.step(tenant, intent_id, Action.CAPTURE, captured, seen)


def cancel(
    payments: Payments, tenant: Tenant, intent_id: str, reason: CancellationReason | None = None
) -> PaymentIntent:
    """Cancel; a held authorization is released at the rail and voided on the ledger."""
    reason = None if reason is None else CancellationReason(reason)
    seen = payments.read(tenant, intent_id, Action.CANCEL)
    # An intent the risk engine holds never reached the rail: there is nothing there to cancel.
    if seen.status in (S.REQUIRES_ACTION, S.REQUIRES_CAPTURE) and seen.risk_action is None:
        outcome = payments.rail(seen.rail).cancel(rail_request(seen, "cancel", 0))
        if outcome.kind is not OutcomeKind.SUCCEEDED:
            raise RailRefused(f"the rail answered {outcome.kind} to the cancel")

    return payments.step(tenant, intent_id, Action.CANCEL, partial(_canceled, reason), seen)


def _canceled(
    reason: CancellationReason | None, connection: Connection, intent: PaymentIntent
) -> PaymentIntent:
    """The intent canceled for `reason`, a held authorization voided on the ledger."""
    if intent.status is S.REQUIRES_CAPTURE:
        submit(connection, movements.release(intent))
    return replace(
        intent,
        status=S.CANCELED,
        cancellation_reason=reason,
        amount_capturable=0,
        next_action_url=None,
        risk_action=None,
    )


def _lapsed(connection: Connection, intent: PaymentIntent) -> PaymentIntent:
    """The intent's authorization lapsed: canceled `automatic`, while it still holds one (a capture or
    cancel committed since it was found due wins)."""
    if intent.status is not S.REQUIRES_CAPTURE:
        raise UnexpectedState(intent.id, str(intent.status), "expire")
    return _canceled(CancellationReason.AUTOMATIC, connection, intent)


def expire_uncaptured(payments: Payments, tenant: Tenant | None, authorized_before: int) -> list[str]:
    """Cancel (reason `automatic`) the held authorizations older than `authorized_before` (ns since the
    epoch), the tenant's or every tenant's (None), as Stripe does after 7 days; the ledger voids each hold.
    Returns the ids canceled, oldest first; one that another step (or another process expiring too) moved
    meanwhile is left to it.

    The rail is not asked: an authorization lapses at the card network at the end of its validity (which
    `authorized_before` must not precede), so there is nothing left there to release, and the lapse can be
    recorded where no rail client is configured (`python -m payments.intents expire-uncaptured`)."""
    with payments.engine.connect() as connection:
        due = store.authorized_before(connection, tenant, authorized_before)
    canceled = []
    for owner, intent_id in due:
        try:
            payments.step(owner, intent_id, Action.CANCEL, _lapsed)
        except UnexpectedState:
            continue
        canceled.append(intent_id)
    return canceled
