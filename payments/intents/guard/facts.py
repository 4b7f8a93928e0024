"""The facts of a confirmation, as the risk engine's `Assessment`.

- amount and currency: the intent's; the subject: its `customer`;
- the customer's KYC tier (`risk.kyc`) and account age (its identity's creation);
- the payment method as the beneficiary key the velocity windows count (card, IBAN or chain address, by
  rail), its country the merchant's, so `cross_border` is "the payment method's country is not the
  merchant's";
- the customer's country: the payment method's country, else the merchant's, else the IP's;
- `device_new`: the device is not proven (its signature did not come with the confirmation: a claim is
  never trusted), or it never signed a confirmation of this customer that went ahead; `device_verified`:
  it signed this one; `payee_new`: the customer never paid this merchant (an intent that went ahead);
- the IP address (the engine places it in a country from its CIDR table);
- the merchant's category (`mcc`, ISO 18245) as it stands at the confirmation: an operator's later change
  applies to the next confirmation, never to a decision already made. None if the merchant has none, and
  then no category rule matches.
"""

from sqlalchemy import Connection, select

from payments.intents.guard.gate import RiskGate, RiskSignals
from payments.intents.model import IntentStatus, PaymentIntent, RailKind
from payments.intents.schema import payment_intents
from payments.merchants.schema import merchants
from risk.decisions.schema import risk_decisions
from risk.engine import Assessment, Beneficiary, BeneficiaryKind, Kind, KycTier
from risk.identity.schema import identities
from risk.kyc.schema import subject_tiers

SECONDS_PER_DAY = 86_400
WENT_AHEAD = (
    str(IntentStatus.PROCESSING),
    str(IntentStatus.REQUIRES_CAPTURE),
    str(IntentStatus.SUCCEEDED),
)
_BENEFICIARY = {
    RailKind.CARD: BeneficiaryKind.CARD,
    RailKind.BANK: BeneficiaryKind.IBAN,
    RailKind.STABLECOIN: BeneficiaryKind.ADDRESS,
}
UNKNOWN_COUNTRY = "ZZ"
"""ISO 3166's user-assigned code, for a customer whose country nothing tells."""


def _went_ahead(customer: str, merchant_id: str) -> object:
    table = payment_intents
    return (
        (table.c.customer == customer) & (table.c.merchant_id == merchant_id) & table.c.status.in_(WENT_AHEAD)
    )


def device_known(connection: Connection, customer: str, device_id: str) -> bool:
    """Whether `device_id` signed a confirmation of `customer` that went ahead (any merchant). A decision
    whose device was only claimed does not count: a claim proves nothing, however often it went ahead."""
    table = payment_intents
    query = (
        select(table.c.id)
        .join(risk_decisions, risk_decisions.c.id == table.c.risk_decision)
        .where(
            table.c.customer == customer,
            table.c.status.in_(WENT_AHEAD),
            risk_decisions.c.device_id == device_id,
            risk_decisions.c.device_verified.is_(True),
        )
        .limit(1)
    )
    return connection.execute(query).first() is not None


def payee_known(connection: Connection, customer: str, merchant_id: str) -> bool:
    """Whether `customer` paid `merchant_id` before (an intent that went ahead)."""
    table = payment_intents
    query = (
        select(table.c.id)
        .where(
            table.c.customer == customer, table.c.merchant_id == merchant_id, table.c.status.in_(WENT_AHEAD)
        )
        .limit(1)
    )
    return connection.execute(query).first() is not None


def assessment(
    connection: Connection, gate: RiskGate, intent: PaymentIntent, signals: RiskSignals, now: int
) -> Assessment:
    """The confirmation of `intent` (which has a customer) as of `now` (unix seconds)."""
    customer = intent.customer
    assert customer is not None
    created = connection.scalar(select(identities.c.created_at).where(identities.c.id == customer))
    tier = connection.scalar(select(subject_tiers.c.tier).where(subject_tiers.c.subject_id == customer))
    merchant = connection.execute(
        select(merchants.c.country, merchants.c.mcc).where(merchants.c.id == intent.merchant_id)
    ).first()
    merchant_country, mcc = (None, None) if merchant is None else (merchant.country, merchant.mcc)
    ip_country = None if signals.ip_address is None else gate.engine.countries.country(signals.ip_address)
    device, proven = signals.device_id, signals.device_id is not None and signals.device_verified
    return Assessment(
        subject=customer,
        kind=Kind.PAYMENT,
        amount=intent.amount,
        currency=intent.currency,
        at=now,
        customer_country=signals.payment_method_country or merchant_country or ip_country or UNKNOWN_COUNTRY,
        kyc_tier=KycTier(tier or KycTier.NONE),
        account_age_days=max(0, now - (created if created is not None else now)) // SECONDS_PER_DAY,
        mcc=mcc,
        beneficiary=None
        if intent.payment_method is None
        else Beneficiary(_BENEFICIARY[intent.rail], intent.payment_method, merchant_country),
        device_id=device,
        device_new=device is not None and not (proven and device_known(connection, customer, device)),
        device_verified=proven,
        ip=signals.ip_address,
        payee_new=not payee_known(connection, customer, intent.merchant_id),
    )
