"""`POST /v1/payment-intents/{id}/confirm` with the customer's device: its signature travels with the
payment, and only a verified signature makes the device the customer's known device for the risk engine.

Why here, and this way. A confirmation is the merchant's call (its API key), but what the risk engine must
trust is the customer's device, which the merchant cannot vouch for: `risk.device_id` in the body is the
checkout's word. So the customer's device signs the confirm request itself, in the one canonical format
every device-signed request uses (`risk.devices.canonical`: method, path and query, SHA-256 of the body,
timestamp, nonce, device id), and the merchant forwards the device's `TPW-Device-Id`, `-Timestamp`,
`-Nonce` and `-Signature` headers with the body byte for byte as signed. The signature covers the intent
(its id is in the path) and the body (payment method, risk signals), so it cannot be moved to another
payment or another card, and a merchant cannot make it up. A separate customer-session route ("approve
this payment") was the alternative; it would need a second round trip and a stored approval on the intent,
while the signed confirm proves the same thing in the request that moves the money.

The server verifies it (`api.signed_requests.verify_device_request`) against the intent's customer: a
device of that customer, active, the timestamp within the tolerance, the nonce new. Anything else is a 401
`device-signature-refused` naming the header at fault, and nothing moves: the check runs under the
Idempotency-Key's claim but before the domain is asked. A `risk.device_id` that names another device than
the signature's is a 422 naming `risk.device_id`; device headers on an intent without a customer, a 422
naming `TPW-Device-Id` (there is no customer's device to prove).

Without device headers the confirmation goes on as before, the device id (if any) a claim: the risk engine
counts it as a new device and its decision carries the reason `device-unverified`. With them, the device is
`device_verified` and known once one of its signed confirmations of this customer went ahead.

The nonce is committed when the signature verifies, before the payment is asked: a confirmation refused
later needs a new signature, as every device-signed request does. A retry with the same Idempotency-Key
and body replays the stored answer without verifying anything again (it moves nothing); a replayed
signature under a new key is refused by its nonce.

The confirm's `risk.ip_address` is also a sighting for the monitoring's geography check
(`api.monitoring.sightings`), as a sign-in is, once the confirmation was answered, but only when the
customer's device signed it (the address is then in the body the device signed): a sighting can freeze the
customer's account, and a merchant's word alone must not be able to. A failed sighting is logged, never a
failed payment.

The route (`api.payment_intents.router.confirm_payment_intent`) runs the steps in that order under the
Idempotency-Key; this module holds what they decide, without the web framework.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from api.payment_intents.schemas import PaymentIntentConfirm, PaymentIntentOut
from api.risk.service import invalid
from payments.intents.guard.gate import RiskSignals
from risk.devices.canonical import DEVICE_ID_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from risk.devices.verifier import VerifiedDevice

DEVICE_HEADERS: Final = (DEVICE_ID_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
SIGHTING_KIND: Final = "customer"
"""The monitoring subject a confirmation sights: the intent's customer, as a sign-in does."""

VerifyDevice = Callable[[str], Awaitable[VerifiedDevice]]
"""The request's device signature verified for a subject, its nonce committed (the router binds
`api.signed_requests.verify_device_request` to the request and its session); a problem otherwise."""


def device_signed(headers: Mapping[str, str]) -> bool:
    """Whether the request carries any device header: then it must be a valid device signature (a partial
    set is refused naming the missing header, never read as unsigned)."""
    return any(name in headers for name in DEVICE_HEADERS)


async def risk_signals(
    headers: Mapping[str, str], intent: PaymentIntentOut, body: PaymentIntentConfirm, verify: VerifyDevice
) -> RiskSignals:
    """What the risk engine may take from this confirmation: the checkout's signals, and the device, proven
    when the intent's customer's device signed the request (`verify`); refusals as problem documents,
    before anything moves."""
    risk = body.risk
    signals = RiskSignals() if risk is None else RiskSignals(**risk.model_dump())
    if not device_signed(headers):
        return signals
    if intent.customer is None:
        raise invalid(
            DEVICE_ID_HEADER,
            f"payment intent {intent.id} names no customer: there is no customer's device to sign for it",
        )
    if signals.device_id is not None and signals.device_id != headers.get(DEVICE_ID_HEADER):
        raise invalid("risk.device_id", f"the request is signed by {DEVICE_ID_HEADER}, not by this device")
    device = await verify(intent.customer)
    return RiskSignals(
        ip_address=signals.ip_address,
        device_id=device.device_id,
        payment_method_country=signals.payment_method_country,
        device_verified=True,
    )
