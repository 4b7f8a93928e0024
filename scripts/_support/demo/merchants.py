"""Flow 4: the money core. A merchant is onboarded (apply, approve, keys, a client certificate from its own
CSR, a webhook endpoint on a real local server), then money moves through the ledger and FX, and every event
the merchant's server receives must verify.

The seed's onboarding, as a merchant lives it: "apply for a merchant account, get an API key and a
certificate, read the sandbox docs" (docs/merchants.md). The operator's steps use the devnet key (scopes
`merchants:admin`, `ledger:*`, `fx:*`); the merchant's use the sandbox key its approval issued.
"""

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scripts._support.demo.receiver import MerchantReceiver
from scripts._support.demo.report import DemoFailed, Summary
from scripts._support.stack.api import request_json
from scripts._support.stack.config import Progress
from scripts._support.stack.devnet import DevnetStack

APPLICATION: dict[str, Any] = {
    "legal_name": "Acme GmbH",
    "country": "DE",
    "settlement_currency": "EUR",
    "fees": {
        "card": {"basis_points": 290, "fixed": "30"},
        "bank": {"basis_points": 80, "fixed": "0"},
        "stablecoin": {"basis_points": 50, "fixed": "0"},
    },
}


@dataclass
class DemoMerchant:
    """An onboarded merchant as the demo drives it: its id and its sandbox key (never printed)."""

    id: str
    sandbox_key: str = field(repr=False)
    stack: DevnetStack = field(repr=False)

    def get(self, path: str) -> dict[str, Any]:
        return request_json(self.stack.api_url, self.sandbox_key, "GET", path, None)

    def post(
        self, path: str, payload: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST `payload` with the sandbox key, and `headers` (a customer's device signature it forwards)."""
        return request_json(self.stack.api_url, self.sandbox_key, "POST", path, payload or {}, headers)


def _csr() -> str:
    """A P-256 key pair made here, as the merchant makes its own; only the CSR leaves."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acme-payments-server")])
    request = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM).decode()


def onboard(
    stack: DevnetStack, progress: Progress, summary: Summary, receiver: MerchantReceiver
) -> DemoMerchant:
    """Apply, approve, take the sandbox key, get a client certificate, register the webhook endpoint."""
    with progress.step("an onboarding desk files Acme GmbH's application (DE, settles in EUR)"):
        applied = stack.post_json("/v1/merchants/applications", APPLICATION)
    if applied["status"] != "applied":
        raise DemoFailed(f"the application came back {applied['status']}")
    with progress.step("an operator approves it: one sandbox and one live API key are issued"):
        approval = stack.post_json(f"/v1/merchants/{applied['id']}/approve", {})
    keys = {key["mode"]: key for key in approval["api_keys"]}
    sandbox = keys["sandbox"]["token"]
    if not str(sandbox).startswith("tpw_test_") or not str(keys["live"]["token"]).startswith("tpw_live_"):
        raise DemoFailed("the approval did not issue a tpw_test_ and a tpw_live_ key")
    merchant = DemoMerchant(applied["id"], sandbox, stack)
    with progress.step("the merchant sends a CSR for its own P-256 key: a sandbox client certificate"):
        certificate = merchant.post(f"/v1/merchants/{merchant.id}/certificates", {"csr": _csr()})
    loaded = x509.load_pem_x509_certificate(certificate["certificate"].encode())
    authority = x509.load_pem_x509_certificate(certificate["ca_certificate"].encode())
    loaded.verify_directly_issued_by(authority)
    progress.note(
        f"certificate {loaded.subject.rfc4514_string()}, valid to {loaded.not_valid_after_utc:%Y-%m-%d}"
    )
    with progress.step(f"the merchant registers its webhook endpoint {receiver.url} (every event)"):
        endpoint = merchant.post("/v1/webhook-endpoints", {"url": receiver.url, "enabled_events": ["*"]})
    receiver.secret = endpoint["secret"]
    summary.add(
        "merchant onboarding",
        f"{merchant.id}: applied, approved, sandbox+live keys, client certificate, webhook endpoint",
    )
    return merchant


def _ledger_account(stack: DevnetStack, currency: str, owner_kind: str, owner: str, **flags: bool) -> str:
    created = stack.post_json(
        "/v1/ledger/accounts", {"currency": currency, "owner_kind": owner_kind, "owner_id": owner, **flags}
    )
    return str(created["id"])


def _balance(stack: DevnetStack, account_id: str) -> int:
    return int(stack.get_json(f"/v1/ledger/accounts/{account_id}")["balances"]["posted"])


def fx_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    """A customer's EUR account funded from the treasury, 100.00 EUR sold for USD at a locked quote; the
    conversion balances every currency to the minor unit (spread and rounding booked to the FX desk)."""
    with progress.step("opening a customer's EUR and USD ledger accounts (never overdrawn) and funding EUR"):
        treasury = _ledger_account(stack, "EUR", "treasury", "demo-treasury")
        euros = _ledger_account(stack, "EUR", "customer", "cus_demo", debits_must_not_exceed_credits=True)
        dollars = _ledger_account(stack, "USD", "customer", "cus_demo", debits_must_not_exceed_credits=True)
        stack.post_json(
            "/v1/ledger/transfers",
            {"debit_account_id": treasury, "credit_account_id": euros, "amount": "25000", "currency": "EUR"},
        )
    with progress.step("asking for a quote: sell 100.00 EUR for USD (locked for its TTL)"):
        quote = stack.post_json(
            "/v1/fx/quotes", {"sell_currency": "EUR", "buy_currency": "USD", "sell_amount": "10000"}
        )
    with progress.step("converting at the quoted rate"):
        conversion = stack.post_json(
            "/v1/fx/conversions",
            {"quote_id": quote["id"], "sell_account_id": euros, "buy_account_id": dollars},
        )
    bought = int(conversion["quote"]["buy_amount"])
    if (_balance(stack, euros), _balance(stack, dollars)) != (15_000, bought):
        raise DemoFailed("the conversion did not move 100.00 EUR out and the quoted USD in")
    progress.note(
        f"rate {quote['rate']} (spread {quote['spread_bps']} bps): 100.00 EUR -> {bought / 100:.2f} USD"
    )
    summary.add(
        "FX conversion", f"100.00 EUR -> {bought // 100}.{bought % 100:02d} USD at quote {quote['id']}"
    )


def check_webhooks(
    progress: Progress, summary: Summary, receiver: MerchantReceiver, wanted: set[str]
) -> None:
    """Every event type in `wanted` reached the merchant's server and verified; nothing was refused."""
    with progress.step(f"waiting for the merchant's server to receive {len(wanted)} kinds of signed events"):
        arrived = receiver.wait_for(wanted, timeout=30.0)
    if arrived != wanted:
        raise DemoFailed(f"events never delivered: {sorted(wanted - arrived)}")
    if receiver.refused:
        raise DemoFailed(f"the merchant's server refused deliveries: {receiver.refused}")
    summary.add("merchant webhooks", f"{len(receiver.events)} events delivered, every TPW-Signature verified")
