"""The stablecoin rail's client: what confirming, capturing, cancelling and refunding mean when the payer pays
on-chain through the PaymentRouter.

Confirming asks nothing of anyone: the intent waits, `processing`, for its `Paid` event, which the watcher
reads at a confirmation depth and turns into the intent's success or failure
(`payments.rails.stablecoin.settlement`). The payer learns where and what to pay from the intent's payment
instructions (`instructions_for`). A payment on-chain is final once confirmed, so there is nothing to hold
and capture later: an intent with manual capture is refused at confirmation, naming `capture_method`.
A cancel has nothing to release. A refund answers `processing` and goes back on-chain as a custody-signed
transfer out of the treasury to the payer (`payments.rails.stablecoin.payouts`, sent by the payout worker
of `python -m relay.payments`), completed once confirmed; where no payout worker runs (`refunds` off), the
rail refuses refunds (the refund fails, its amount returns to the merchant's balance).
"""

from dataclasses import dataclass

from payments.intents.errors import InvalidRequest
from payments.intents.model import RailKind
from payments.intents.rails import OutcomeKind, RailOutcome, RailRequest
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.instructions import NoIntentKey, intent_key

PROCESSING = RailOutcome(OutcomeKind.PROCESSING)


@dataclass(frozen=True, slots=True)
class StablecoinRail:
    """The `Rail` of stablecoin payments through one router (see the module docstring)."""

    config: StablecoinConfig
    refunds: bool = False
    """Whether a payout worker pays refunds back on-chain (else they are refused)."""

    @property
    def kind(self) -> RailKind:
        return RailKind.STABLECOIN

    def authorize(self, request: RailRequest) -> RailOutcome:
        """`processing`: the intent waits for its on-chain payment; refused if it cannot be paid here."""
        if not request.capture:
            raise InvalidRequest(
                "stablecoin payments are final when paid: use capture_method automatic, not manual",
                field="capture_method",
            )
        if request.currency != self.config.currency:
            raise InvalidRequest(
                f"the stablecoin rail takes {self.config.currency} ({self.config.token_symbol}), "
                f"not {request.currency}",
                field="currency",
            )
        if request.livemode != self.config.livemode:
            raise InvalidRequest(
                "the stablecoin rail's chain serves "
                + ("live" if self.config.livemode else "sandbox")
                + " intents only",
                field="livemode",
            )
        try:
            intent_key(request.payment_intent_id)
        except NoIntentKey as error:
            raise InvalidRequest(str(error), field="payment_intent") from error
        return PROCESSING

    def capture(self, request: RailRequest) -> RailOutcome:
        """Never asked (no intent of this rail is held for capture): a refusal if it were."""
        return RailOutcome(OutcomeKind.FAILED, decline_code="stablecoin_has_no_capture")

    def cancel(self, request: RailRequest) -> RailOutcome:
        """Nothing is held on-chain before the payment, so nothing to release."""
        return RailOutcome(OutcomeKind.SUCCEEDED)

    def refund(self, request: RailRequest) -> RailOutcome:
        """`processing`: the payout worker pays the payer back; refused where no payout worker runs."""
        if not self.refunds:
            return RailOutcome(OutcomeKind.FAILED, decline_code="stablecoin_refunds_unavailable")
        return PROCESSING
