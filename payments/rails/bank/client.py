"""The bank rail: a payment intent paid by bank transfer (a PSD2 payment initiation), over ISO 20022.

Authorizing asks the customer's bank, in a pain.001, to move the amount from the customer's IBAN (the
intent's payment method) to the platform's collection account; a refund is a pain.001 the other way. The
bank answers each at once with a pain.002: accepted (the intent is `processing`, its result comes later as
a signed notification: `payments.rails.bank.notifications`) or rejected with a reason code (declined or
failed at once). A refund's IBAN is screened against the sanctions list first when the rail has a screener
(`BankRail`): a hit sends nothing and holds the refund (`payments.rails.bank.holds`: a round re-screens it
and sends it once cleared; a confirmed match stays held). A transfer cannot be held for a later capture, nor
called back once sent: capture and cancel are refused.

Every step's MsgId is derived from its idempotency key (`references.message_id`), so a retried step sends
the same message and the bank answers its first answer; the bank refuses a MsgId reused for another
transfer (HTTP 409), which is `RailConflict` here. A bank that does not answer is the rail being
unavailable (`InvalidRequest` on `rail`, a 503 at the API): nothing was written, the caller may retry.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

import httpx

from payments.intents.errors import InvalidRequest, RailConflict, RailRefused
from payments.intents.model import RailKind
from payments.intents.rails import OutcomeKind, RailOutcome, RailRequest
from payments.rails.bank import pain001, pain002
from payments.rails.bank.accounts import checked_iban
from payments.rails.bank.holds import HoldStatus, record_hold, refund_id_of, release_held
from payments.rails.bank.pain001 import CreditTransfer, Party
from payments.rails.bank.reasons import refusal
from payments.rails.bank.references import StepReference, message_id
from payments.rails.bank.xsd import InvalidMessage
from payments.rails.screening import cleared
from risk.screening.model import Screening, Trigger
from risk.screening.screenings import Screener

INITIATION_PATH: Final = "/v1/pain.001"
STATEMENT_PATH: Final = "/v1/camt.053"
XML: Final = "application/xml"
CUSTOMER_NAME: Final = "Customer"
"""The debtor's name is not ours to know in a payment initiation; the bank checks the IBAN."""


@dataclass(frozen=True, slots=True)
class BankConnection:
    """Where the bank is and which account of ours it books to (`collection`, our IBAN and BIC)."""

    url: str
    collection: Party
    livemode: bool = False
    """The mode of the money this bank moves: a sandbox bank serves sandbox intents only."""
    timeout_seconds: float = 10.0

    def endpoint(self, path: str) -> str:
        return self.url.rstrip("/") + path


class BankRail:
    """`payments.intents.rails.Rail` over a bank speaking pain.001 / pain.002. With `screener` (the
    screener on the list in use, asked at each refund), a refund's IBAN is screened before its pain.001 is
    sent (`payments.rails.screening`): a hit holds it, answered `processing` with nothing sent, so the refund
    stays pending with its money held, as the stablecoin payouts do."""

    def __init__(
        self,
        connection: BankConnection,
        http: httpx.Client | None = None,
        *,
        screener: Callable[[], Screener] | None = None,
    ) -> None:
        self.connection = connection
        self._http = http or httpx.Client(timeout=connection.timeout_seconds)
        self._screener = screener

    @property
    def kind(self) -> RailKind:
        return RailKind.BANK

    def close(self) -> None:
        self._http.close()

    def authorize(self, request: RailRequest) -> RailOutcome:
        if not request.capture:
            raise InvalidRequest(
                "a bank transfer cannot be held for a later capture: use capture_method automatic",
                field="capture_method",
            )
        customer = checked_iban(request.payment_method, "payment_method")
        debtor = Party(CUSTOMER_NAME, customer.compact, None if customer.bic is None else str(customer.bic))
        return self._send(request, debtor, self.connection.collection)

    def refund(self, request: RailRequest) -> RailOutcome:
        customer = checked_iban(request.payment_method, "payment_method")
        if self._screener is not None:
            screener = self._screener()
            refund_id = refund_id_of(request)
            screening = screener.screen_iban(refund_id, customer.compact, Trigger.PAYOUT)
            if not cleared(screening, refund_id):
                # held: no pain.001, the refund stays pending until a round finds it cleared
                record_hold(screener.engine, request, screening, screener.clock())
                return RailOutcome(OutcomeKind.PROCESSING)
        return self._send_refund(request)

    def release_held_refunds(self) -> dict[str, HoldStatus]:
        """Re-screen the refunds this rail held and send those now clear, once (`holds.release_held`);
        nothing without a screener (nothing was held)."""
        if self._screener is None:
            return {}
        screener = self._screener()

        def screen(request: RailRequest) -> Screening:
            iban = checked_iban(request.payment_method, "payment_method").compact
            return screener.screen_iban(refund_id_of(request), iban, Trigger.PAYOUT)

        return release_held(screener.engine, screen, self._send_refund, screener.clock())

    def _send_refund(self, request: RailRequest) -> RailOutcome:
        customer = checked_iban(request.payment_method, "payment_method")
        creditor = Party(CUSTOMER_NAME, customer.compact, None if customer.bic is None else str(customer.bic))
        return self._send(request, self.connection.collection, creditor)

    def capture(self, request: RailRequest) -> RailOutcome:
        raise RailRefused("a bank transfer is never held: there is nothing to capture")

    def cancel(self, request: RailRequest) -> RailOutcome:
        raise RailRefused("a bank transfer cannot be called back once sent")

    def _send(self, request: RailRequest, debtor: Party, creditor: Party) -> RailOutcome:
        if request.livemode != self.connection.livemode:
            mode = "live" if request.livemode else "sandbox"
            raise InvalidRequest(f"no bank rail for {mode} payments is configured", field="rail")
        transfer = CreditTransfer(
            message_id=message_id(request.idempotency_key),
            created_at=datetime.datetime.now(datetime.UTC).replace(microsecond=0),
            end_to_end_id=StepReference.of_key(request.idempotency_key).end_to_end_id,
            remittance=request.idempotency_key,
            amount=request.amount,
            currency=request.currency,
            debtor=debtor,
            creditor=creditor,
            initiator=self.connection.collection.name,
        )
        try:
            answer = self._http.post(
                self.connection.endpoint(INITIATION_PATH),
                content=pain001.build(transfer),
                headers={"Content-Type": XML, "Accept": XML},
            )
        except httpx.HTTPError as error:
            raise InvalidRequest(f"the bank did not answer: {type(error).__name__}", field="rail") from error
        if answer.status_code == HTTPStatus.CONFLICT:
            raise RailConflict(f"the bank refused message {transfer.message_id}: it names another transfer")
        if answer.status_code not in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST):
            raise InvalidRequest(f"the bank answered HTTP {answer.status_code}", field="rail")
        try:
            report = pain002.parse(answer.content)
        except InvalidMessage as error:
            raise InvalidRequest(
                f"the bank's answer is not a valid pain.002: {error}", field="rail"
            ) from error
        if report.original_message_id != transfer.message_id:
            raise InvalidRequest("the bank's pain.002 is about another message", field="rail")
        if report.rejected:
            return refusal(report.reason)
        return RailOutcome(OutcomeKind.PROCESSING)
