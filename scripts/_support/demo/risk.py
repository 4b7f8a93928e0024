"""Flow 5: payment authentication and risk. Customers sign in with Ethereum (EIP-4361), pass KYC at the
sandbox provider, and pay the merchant of flow 4 by card; the risk engine decides before each payment reaches
the card processor:

- a 10.00 EUR payment is allowed (low value: exempt from strong customer authentication);
- a 2,500.00 EUR payment with a US card at a German merchant is stepped up: the customer's TOTP is asked
  for, a wrong code is refused, the right one resumes the payment at the processor;
- a new device paying a new payee is sent to review: the customer binds his new phone (`/v1/devices`), the
  phone signs the confirm request and the merchant forwards its signature, so the engine sees a verified
  (but new) device; the intent waits, an operator claims and approves the case at `/v1/cases`, and the
  payment resumes.

Everything goes over HTTP to the devnet's API as a wallet app, a customer's authenticator app and a
compliance desk would (docs/risk.md).
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyotp
import siwe
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from scripts._support.demo.device import DemoDevice
from scripts._support.demo.merchants import DemoMerchant
from scripts._support.demo.report import DemoFailed, Summary
from scripts._support.stack.api import StackError, request_json
from scripts._support.stack.config import Progress
from scripts._support.stack.devnet import DevnetStack

INTENTS = "/v1/payment-intents"
SUCCESS_CARD = "4242424242424242"  # Stripe's test card that succeeds without a challenge
TOTP_STEP_SECONDS = 30
KYC_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.25


@dataclass
class DemoCustomer:
    """A customer's wallet app: an Ethereum account that signs in, and its session (never printed)."""

    stack: DevnetStack = field(repr=False)
    account: LocalAccount = field(default_factory=Account.create, repr=False)
    access_token: str = field(default="", repr=False)
    subject_id: str = ""

    def sign_in(self) -> None:
        """Sign-In with Ethereum: a nonce from the API, an EIP-4361 message for its domain, signed."""
        nonce = request_json(self.stack.api_url, "", "POST", "/v1/auth/siwe/nonce", {})["nonce"]
        now = int(time.time())
        message = siwe.SiweMessage(
            domain=self.stack.api_url.removeprefix("http://"),
            address=self.account.address,
            uri=self.stack.api_url + "/login",
            version="1",
            chain_id=31337,
            nonce=nonce,
            issued_at=_iso(now),
            expiration_time=_iso(now + 120),
            statement="Sign in to TPWallet.",
        ).prepare_message()
        signature = "0x" + bytes(self.account.sign_message(encode_defunct(text=message)).signature).hex()
        login = {"message": message, "signature": signature}
        session = request_json(self.stack.api_url, "", "POST", "/v1/auth/siwe/login", login)
        self.access_token, self.subject_id = session["access_token"], session["subject_id"]

    def get(self, path: str) -> dict[str, Any]:
        return request_json(self.stack.api_url, self.access_token, "GET", path, None)

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        return request_json(self.stack.api_url, self.access_token, "POST", path, payload)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _verified_customer(stack: DevnetStack, progress: Progress, name: str, document: str) -> DemoCustomer:
    """A new customer signed in with Ethereum and raised to the full KYC tier by the sandbox provider."""
    customer = DemoCustomer(stack)
    with progress.step(f"{name} signs in with Ethereum (EIP-4361: nonce, domain and chain id checked)"):
        customer.sign_in()
    with progress.step(f"{name} passes KYC at the sandbox provider (document {document}, tier full)"):
        customer.post(
            "/v1/kyc/checks",
            {
                "tier": "full",
                "full_name": name,
                "date_of_birth": "1984-08-12",
                "country": "DE",
                "document_number": document,
                "document_expires_on": "2031-01-01",
            },
        )
        deadline = time.monotonic() + KYC_WAIT_SECONDS
        while customer.get("/v1/kyc")["tier"] != "full":
            if time.monotonic() > deadline:
                raise DemoFailed(f"{name}'s KYC check did not clear in {KYC_WAIT_SECONDS}s")
            time.sleep(POLL_SECONDS)
    return customer


def _pay(
    merchant: DemoMerchant,
    customer: DemoCustomer,
    card: str,
    amount: str,
    device: DemoDevice | None = None,
    **signals: str,
) -> dict[str, Any]:
    """The customer's card payment at the merchant, created and confirmed: the intent as confirmed. With
    `device`, the customer's device signs the confirm request and the merchant forwards its headers."""
    intent = merchant.post(
        INTENTS,
        {"amount": amount, "currency": "EUR", "payment_method": card, "customer": customer.subject_id},
    )
    path, body = f"{INTENTS}/{intent['id']}/confirm", {"risk": signals} if signals else {}
    headers = None if device is None else device.signed_headers("POST", path, body)
    return merchant.post(path, body, headers)


def _expect(intent: dict[str, Any], status: str, action: str | None = None) -> None:
    got = (intent["status"], (intent.get("next_action") or {}).get("type"))
    if got != (status, action):
        raise DemoFailed(f"payment {intent['id']} is {got}, expected {(status, action)}")


def risk_flow(stack: DevnetStack, progress: Progress, summary: Summary, merchant: DemoMerchant) -> None:
    Progress.heading("flow 5: payment authentication and risk: allowed, stepped up with TOTP, reviewed")
    with progress.step("the merchant tokenizes a customer's card at the card processor"):
        card = merchant.post(
            "/v1/payment-methods",
            {"card": {"number": SUCCESS_CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"}},
        )["id"]
    erika = _verified_customer(stack, progress, "Erika Mustermann", "P1234567")
    with progress.step("she enrols an authenticator app (TOTP) and confirms it with a first code"):
        enrolment = erika.post("/v1/factors/totp", {})
        otp = pyotp.TOTP(enrolment["secret"])
        erika.post("/v1/factors/totp/verify", {"code": otp.now()})

    with progress.step("she pays 10.00 EUR: the risk engine allows it (low value, exempt from SCA)"):
        allowed = _pay(merchant, erika, card, "1000")
    _expect(allowed, "succeeded")
    decision = stack.get_json(f"/v1/risk/decisions/{allowed['risk_decision']}")
    progress.note(f"decision {decision['outcome']}, SCA exemption {decision['exemption']}")
    summary.add("risk: allowed", f"10.00 EUR paid at once ({allowed['id']})")

    with progress.step("she pays 2,500.00 EUR with a US card at a German merchant: a step-up is asked"):
        held = _pay(merchant, erika, card, "250000", payment_method_country="US")
    _expect(held, "requires_action", "verify_factor")
    progress.note(f"requires_action: factors {held['next_action']['factors']}")
    with progress.step("a mistyped code is refused (422, the code field named)"):
        try:
            erika.post(f"{INTENTS}/{held['id']}/verify-factor", {"factor": "totp", "code": _wrong(otp)})
        except StackError as error:
            if "answered 422" not in str(error):
                raise
        else:
            raise DemoFailed("a wrong TOTP code was accepted")
    with progress.step("the right code (the app's next one: each code is spent once) resumes the payment"):
        code = otp.at(int(time.time()) + TOTP_STEP_SECONDS)  # within RFC 6238's one-step window
        resumed = erika.post(f"{INTENTS}/{held['id']}/verify-factor", {"factor": "totp", "code": code})
    _expect(resumed, "succeeded")
    summary.add("risk: step-up", f"2,500.00 EUR paid after a TOTP step-up ({held['id']})")

    max_ = _verified_customer(stack, progress, "Max Mustermann", "P7654321")
    phone = DemoDevice("Max's new phone")
    with progress.step("Max binds his new phone (an Ed25519 key it made, proven over a challenge)"):
        phone.register(max_)
    with progress.step(
        "his phone signs a 10.00 EUR confirm to a payee he never paid; the merchant forwards it"
    ):
        reviewed = _pay(merchant, max_, card, "1000", phone, ip_address="192.0.2.10")
    _expect(reviewed, "requires_action", "risk_review")
    facts = stack.get_json(f"/v1/risk/decisions/{reviewed['risk_decision']}")["facts"]
    if not facts["device_verified"] or not facts["device_new"]:
        raise DemoFailed(f"the phone's signed confirm was not seen as a verified new device: {facts}")
    progress.note(f"device {phone.device_id} verified by its signature, new to the engine")
    case_id = reviewed["next_action"]["case"]
    with progress.step(f"a compliance officer claims case {case_id} and approves it"):
        stack.post_json(f"/v1/cases/{case_id}/claim", {})
        stack.post_json(f"/v1/cases/{case_id}/approve", {"note": "the customer confirmed the new phone"})
    _expect(merchant.get(f"{INTENTS}/{reviewed['id']}"), "succeeded")
    report = stack.get_json(f"/v1/cases/{case_id}/report?format=json")
    progress.note(f"case report: {len(report['audit'])} audit records")
    summary.add("risk: review", f"10.00 EUR paid once an operator approved {case_id} ({reviewed['id']})")


def _wrong(otp: pyotp.TOTP) -> str:
    """A six-digit code that is none of the codes the one-step window accepts now."""
    now = int(time.time())
    accepted = {otp.at(now + step * TOTP_STEP_SECONDS) for step in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in accepted)
