"""What the bank's signed webhooks mean for our intents and refunds: a pain.002 rejecting a transfer at
execution, or a camt.054 booking one on the collection account (settled, or returned with a reason).

The caller has checked the signature; here the XML is validated against its schema and the step it is about
is read from our remittance text (checked against the EndToEndId). Each report moves money at most once:
a report about a step already ended (a notification delivered again) finds the intent or refund no longer
processing or pending and is acknowledged without effect (`ALREADY_APPLIED`), as is a report about an
attempt the customer has since replaced (`IGNORED`). A pain.002 that only confirms a settlement is noted
and ignored: the camt.054 booking it is what completes the payment.
"""

import enum

from sqlalchemy import select

from payments.intents.context import Payments
from payments.intents.errors import UnexpectedState
from payments.intents.intents import complete_processing
from payments.intents.rails import OutcomeKind, RailOutcome
from payments.intents.refunds import complete_refund
from payments.intents.schema import payment_intents
from payments.merchants.tenant import Tenant
from payments.rails.bank import camt, pain002
from payments.rails.bank.client import BankConnection
from payments.rails.bank.reasons import refusal
from payments.rails.bank.references import StepReference
from payments.rails.bank.xsd import InvalidMessage, Message, root_message


class Handled(enum.StrEnum):
    APPLIED = "applied"
    """The report completed a payment or a refund."""
    ALREADY_APPLIED = "already_applied"
    """The step had already ended (this report, or another about it, came before)."""
    IGNORED = "ignored"
    """Nothing to do: an informational status, or a report about a replaced attempt."""


def handle(payments: Payments, connection: BankConnection, body: bytes) -> Handled:
    """Apply one webhook body; `InvalidMessage` if it is not a valid report about one of our steps."""
    match root_message(body):
        case Message.PAIN_002:
            return _status_report(payments, connection, pain002.parse(body))
        case Message.CAMT_054:
            return _notification(payments, connection, camt.parse_notification(body))
    raise InvalidMessage("a bank notification is a pain.002 or a camt.054 document")


def _status_report(payments: Payments, connection: BankConnection, report: pain002.StatusReport) -> Handled:
    if report.end_to_end_id is None or not report.rejected:
        return Handled.IGNORED
    step = StepReference.parse(report.remittance, report.end_to_end_id)
    return _complete(payments, connection, step, refusal(report.reason))


def _notification(payments: Payments, connection: BankConnection, report: camt.Report) -> Handled:
    if report.iban != connection.collection.iban:
        raise InvalidMessage("the notification is about another account than our collection account")
    if not report.entries:
        return Handled.IGNORED
    steps = {StepReference.parse(entry.remittance, entry.end_to_end_id) for entry in report.entries}
    if len(steps) != 1:
        raise InvalidMessage("a notification here books the entries of exactly one transfer")
    returned = next((entry.return_reason for entry in report.entries if entry.is_return), None)
    outcome = RailOutcome(OutcomeKind.SUCCEEDED) if returned is None else refusal(returned)
    return _complete(payments, connection, steps.pop(), outcome)


def _tenant(payments: Payments, connection: BankConnection, intent_id: str) -> Tenant:
    """The intent's tenant: the bank knows our ids, not whose they are. Only intents in the rail's mode."""
    query = select(payment_intents.c.merchant_id).where(
        payment_intents.c.id == intent_id, payment_intents.c.livemode == connection.livemode
    )
    with payments.engine.connect() as reading:
        merchant_id = reading.execute(query).scalar_one_or_none()
    if merchant_id is None:
        raise InvalidMessage(f"no {'live' if connection.livemode else 'sandbox'} payment intent {intent_id}")
    return Tenant(merchant_id, livemode=connection.livemode)


def _complete(
    payments: Payments, connection: BankConnection, step: StepReference, outcome: RailOutcome
) -> Handled:
    tenant = _tenant(payments, connection, step.payment_intent_id)
    try:
        if step.refund_id is not None:
            complete_refund(payments, tenant, step.refund_id, succeeded=outcome.kind is OutcomeKind.SUCCEEDED)
            return Handled.APPLIED
        if payments.read(tenant, step.payment_intent_id).attempt != step.attempt:
            return Handled.IGNORED
        complete_processing(payments, tenant, step.payment_intent_id, outcome)
    except UnexpectedState:
        return Handled.ALREADY_APPLIED
    return Handled.APPLIED
