"""The customers of flow 4 pay the onboarded merchant on each rail, every payment a payment intent whose
every step the ledger books: a card with a 3-D Secure challenge (the sandbox card processor), a bank
transfer (the ISO 20022 sandbox bank), tUSD on L1 through the PaymentRouter (the payments watcher reads the
`Paid` event); then part of the card payment is refunded.
"""

import datetime
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from chain.artifacts import contract
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.payment_router import PaymentRouter
from chain.transactions import send_call
from scripts._support.anvil import rpc_call
from scripts._support.demo.merchants import DemoMerchant
from scripts._support.demo.report import DemoFailed, Summary
from scripts._support.stack.config import Progress
from scripts._support.stack.devnet import DevnetStack

INTENTS = "/v1/payment-intents"
THREE_D_SECURE_CARD = "4000002760003184"  # Stripe's test card that always asks for a challenge
FUNDED_IBAN = "DE93999999990000000001"  # the sandbox bank's funded test account (docs/rails.md)
TUSD_UNIT = 10**6
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.25


def _wait_for_status(
    merchant: DemoMerchant, intent_id: str, wanted: str, nudge: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The intent once its status is `wanted` (a rail reports asynchronously); `nudge` runs between polls."""
    deadline = time.monotonic() + WAIT_SECONDS
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        seen = merchant.get(f"{INTENTS}/{intent_id}")
        if seen["status"] == wanted:
            return seen
        if nudge is not None:
            nudge()
        time.sleep(POLL_SECONDS)
    raise DemoFailed(
        f"payment intent {intent_id} is {seen.get('status')}, not {wanted}, after {WAIT_SECONDS}s"
    )


def card_flow(stack: DevnetStack, progress: Progress, summary: Summary, merchant: DemoMerchant) -> str:
    """A card payment with a 3-D Secure challenge, completed as the customer's browser would; its id."""
    with progress.step("a customer's card is tokenized at the card processor (the API never keeps the PAN)"):
        card = merchant.post(
            "/v1/payment-methods",
            {"card": {"number": THREE_D_SECURE_CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"}},
        )
    with progress.step("the merchant creates a 40.00 EUR card payment intent and confirms it"):
        intent = merchant.post(
            INTENTS, {"amount": "4000", "currency": "EUR", "rail": "card", "payment_method": card["id"]}
        )
        confirmed = merchant.post(f"{INTENTS}/{intent['id']}/confirm")
    if confirmed["status"] != "requires_action":
        raise DemoFailed(f"the 3-D Secure card came back {confirmed['status']}, not requires_action")
    challenge = confirmed["next_action"]["redirect_to_url"]["url"]
    progress.note(f"requires_action: the issuer's challenge at {challenge}")
    with progress.step(
        "the customer completes the challenge; the processor's signed webhook resumes the intent"
    ):
        with urllib.request.urlopen(challenge, timeout=10) as page:  # noqa: S310 - the sandbox's loopback URL
            if b"Complete" not in page.read():
                raise DemoFailed("the challenge page offers no Complete button")
        form = urllib.parse.urlencode({"result": "complete"}).encode()
        with urllib.request.urlopen(challenge, data=form, timeout=10):  # noqa: S310
            pass
        paid = _wait_for_status(merchant, intent["id"], "succeeded")
    progress.note(
        f"card {card['card']['brand']} ...{card['card']['last4']}: {paid['amount_received']} cents received"
    )
    summary.add("card payment", f"40.00 EUR by card after a 3-D Secure challenge ({intent['id']})")
    return str(intent["id"])


def bank_flow(stack: DevnetStack, progress: Progress, summary: Summary, merchant: DemoMerchant) -> str:
    """A bank transfer (a pain.001 to the customer's bank; its signed camt.054 settles the intent)."""
    with progress.step(f"another customer pays 120.00 EUR by bank from {FUNDED_IBAN} (pain.001 sent)"):
        intent = merchant.post(
            INTENTS, {"amount": "12000", "currency": "EUR", "rail": "bank", "payment_method": FUNDED_IBAN}
        )
        confirmed = merchant.post(f"{INTENTS}/{intent['id']}/confirm")
    if confirmed["status"] != "processing":
        raise DemoFailed(f"the bank payment came back {confirmed['status']}, not processing")
    with progress.step("waiting for the bank to settle it (pain.002, then camt.054 as signed webhooks)"):
        _wait_for_status(merchant, intent["id"], "succeeded")
    summary.add("bank transfer", f"120.00 EUR by ISO 20022 credit transfer ({intent['id']})")
    return str(intent["id"])


def stablecoin_flow(stack: DevnetStack, progress: Progress, summary: Summary, merchant: DemoMerchant) -> str:
    """tUSD paid on L1 through the PaymentRouter; the watcher reads `Paid` a confirmation deep."""
    l1 = stack.chains[0]
    assert l1.deployments is not None
    w3 = make_web3(l1.url)
    deployer, payer = dev_accounts()[0], dev_accounts()[6]
    tusd = contract(w3, "Token", l1.deployments.get("tUSD").address)
    with progress.step("a third customer's wallet is funded with 100.00 tUSD"):
        send_call(w3, deployer, tusd.functions.mint(payer.address, 100 * TUSD_UNIT))
    with progress.step("the merchant creates a 19.99 USD stablecoin payment intent and confirms it"):
        intent = merchant.post(
            INTENTS, {"amount": "1999", "currency": "USD", "rail": "stablecoin", "payment_method": "wallet"}
        )
        merchant.post(f"{INTENTS}/{intent['id']}/confirm")
        how = merchant.get(f"{INTENTS}/{intent['id']}/stablecoin")
    with progress.step("the wallet approves and calls PaymentRouter.pay(intent, tUSD, 19.99)"):
        router = PaymentRouter.from_registry(w3, l1.deployments)
        router.pay(
            payer, bytes.fromhex(how["intent_key"].removeprefix("0x")), how["token"], int(how["amount"])
        )
    with progress.step("waiting for the payments watcher to read Paid one block deep"):
        _wait_for_status(merchant, intent["id"], "succeeded", nudge=lambda: rpc_call(l1.url, "evm_mine"))
    summary.add("tUSD payment", f"19.99 tUSD through PaymentRouter on L1 ({intent['id']})")
    return str(intent["id"])


def refund_flow(progress: Progress, summary: Summary, merchant: DemoMerchant, intent_id: str) -> None:
    """A partial refund of the card payment: 15.00 of its 40.00 EUR."""
    with progress.step("the merchant refunds 15.00 EUR of the card payment"):
        refund = merchant.post("/v1/refunds", {"payment_intent": intent_id, "amount": "1500"})
    if refund["status"] != "succeeded":
        raise DemoFailed(f"the refund came back {refund['status']}")
    intent = merchant.get(f"{INTENTS}/{intent_id}")
    if (intent["amount_received"], intent["amount_refunded"]) != ("4000", "1500"):
        raise DemoFailed(f"after the refund the intent shows {intent!r}")
    summary.add("partial refund", f"15.00 of 40.00 EUR refunded to the card ({refund['id']})")


def reconciliation_flow(
    stack: DevnetStack, progress: Progress, summary: Summary, days: set[datetime.date]
) -> None:
    """The day (each UTC day the payments spanned) reconciled: the ledger's rail clearing movements against
    the bank's camt.053, the card processor's settlement file and the `Paid` events on L1."""
    for day in sorted(days):
        with progress.step(f"reconciling {day}: ledger vs camt.053, card settlements and Paid events"):
            run = stack.post_json(f"/v1/reconciliation/{day.isoformat()}/runs", {})
        states = {
            rail["rail"]: (rail["state"], rail["ledger_lines"], rail["rail_lines"]) for rail in run["rails"]
        }
        progress.note(
            ", ".join(f"{rail}: {lines[1]} ledger / {lines[2]} rail lines" for rail, lines in states.items())
        )
        if run["status"] != "complete" or run["break_count"] != 0:
            breaks = [(item["kind"], item["rail"], item["reference"]) for item in run["breaks"]["data"]]
            raise DemoFailed(
                f"reconciliation of {day} is {run['status']} with breaks {breaks}, rails {states}"
            )
        if any(state != "reconciled" for state, _, _ in states.values()):
            raise DemoFailed(f"a rail was not reconciled on {day}: {states}")
    summary.add("reconciliation", f"{len(days)} day(s): card, bank and tUSD against the ledger, no break")
