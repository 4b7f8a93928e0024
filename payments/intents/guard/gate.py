"""What the payment intents need of the risk side: the engine, the factor services a customer steps up
with (a passkey among them), and the clock (unix seconds). `Payments.risk` holds one; None (no engine
configured) confirms without asking, as before."""

from collections.abc import Callable
from dataclasses import dataclass, field

from risk.engine import RiskEngine
from risk.factors.lockout import LockoutPolicy
from risk.factors.passkey import PasskeyStepUp
from risk.factors.passwords import PaymentPassword
from risk.factors.recovery import RecoveryCodes
from risk.factors.totp import TotpFactor


@dataclass(frozen=True)
class RiskGate:
    """`totp` is None while the server has no key to open TOTP secrets, `passkeys` while it has no WebAuthn
    relying party: that factor is then unavailable, and the fallback is offered."""

    engine: RiskEngine
    passwords: PaymentPassword
    recovery: RecoveryCodes
    policy: LockoutPolicy
    clock: Callable[[], int]
    totp: TotpFactor | None = None
    passkeys: PasskeyStepUp | None = None
    actor: str = field(default="risk-engine")
    """How the audit log names the engine's own decisions."""


@dataclass(frozen=True)
class RiskSignals:
    """What the confirming request observed of the customer: the IP address, the device and the payment
    method's country (a card's issuing country, an IBAN's).

    `device_verified` is True only when the customer's device signed the confirming request and the API
    verified it (`api.payment_intents.device_proof`); a `device_id` without it is the checkout's claim, a
    signal never a proof, and never counts as the customer's known device."""

    ip_address: str | None = None
    device_id: str | None = None
    payment_method_country: str | None = None
    device_verified: bool = False
