"""The personal-data registry (GDPR art. 30 record of processing): every table column that holds personal
data, its category, the legal basis for holding it, how long it is kept and what an erasure does to it; and
the columns whose names look personal but are not, each with the reason.

A declarative map, checked against the schema by `check`: a classified table or column that does not exist is
an error, and so is a column *named like* personal data (`PERSONAL_NAME`) that is neither classified nor
declared not personal (tests/risk/privacy/test_registry.py runs it over every migrated table, so a new table
with an `email` column fails the build until it is classified). The retention job reads its periods from here,
so the record and the practice cannot drift apart.
"""

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import MetaData

DAY: Final = 24 * 3600
YEAR: Final = 365 * DAY
RELATIONSHIP_ENDED: Final = (
    "5 years after the business relationship ends (AMLD art. 40): the clock starts at the customer's erasure "
    "record, the end of the relationship on this platform"
)

PERSONAL_NAME: Final = re.compile(
    r"(^|_)(name|email|e_mail|address|addr|ip|fingerprint|document|phone|mobile|birth|dob|payer|to|"
    r"user_agent|iban|pan|card_number|passport|tax_id|value|hits|reviewer|actor|credential_id|"
    r"public_key|subject_id|owner_id|principal|pseudonym)($|_)"
)
"""Column names that suggest personal data: a column matching it must be in the registry, either way."""


class Category(enum.StrEnum):
    IDENTIFIER = "identifier"  # the opaque subject id and what points at it
    CONTACT = "contact"  # name, email, phone
    IDENTITY_DOCUMENT = "identity_document"
    ONLINE_IDENTIFIER = "online_identifier"  # chain address, passkey, device key, fingerprint, session
    AUTHENTICATION = "authentication"  # factor secrets' hashes, lockout counters
    COMPLIANCE = "compliance"  # KYC and sanctions screening records
    PAYMENT = "payment"  # payment records naming a payer or payee
    PSEUDONYMOUS = "pseudonymous"  # analytics under a keyed hash


class Basis(enum.StrEnum):
    """GDPR art. 6(1) bases used here."""

    CONTRACT = "contract"  # (b): needed to provide the account and its payments
    LEGAL_OBLIGATION = "legal_obligation"  # (c): AML record keeping, payment records
    LEGITIMATE_INTEREST = "legitimate_interest"  # (f): fraud prevention, aggregate analytics


class OnErasure(enum.StrEnum):
    DELETE = "delete"  # the subject's rows go
    KEEP = "keep"  # kept by law until its retention period ends; `reason` says which


@dataclass(frozen=True)
class Entry:
    """One table's personal data."""

    table: str
    columns: tuple[str, ...]
    category: Category
    basis: Basis
    retention_seconds: int | None
    """How long after `retention_from` a row is kept; None: as long as the row's purpose lasts (the account,
    or the payment record), said in `retention_note`."""
    retention_note: str
    on_erasure: OnErasure
    reason: str = ""
    """Why an erasure keeps the table (law, article), or what the retention clock starts at."""


REGISTRY: Final[tuple[Entry, ...]] = (
    Entry("identities", ("id",), Category.IDENTIFIER, Basis.CONTRACT, None,
          "while referenced: a random id, personal only through the tables below", OnErasure.KEEP,
          "ledger accounts and kept compliance records refer to it; once its mapping rows are erased it "
          "points at no one"),
    Entry("identity_ethereum_addresses", ("address", "subject_id"), Category.ONLINE_IDENTIFIER,
          Basis.CONTRACT, None, "while the account exists", OnErasure.DELETE),
    Entry("identity_passkeys", ("credential_id", "subject_id", "public_key"), Category.ONLINE_IDENTIFIER,
          Basis.CONTRACT, None, "while the account exists", OnErasure.DELETE),
    Entry("identity_webauthn_challenges", ("subject_id",), Category.ONLINE_IDENTIFIER, Basis.CONTRACT,
          0, "deleted once expired", OnErasure.DELETE),
    Entry("identity_sessions", ("subject_id",), Category.ONLINE_IDENTIFIER, Basis.CONTRACT, 90 * DAY,
          "90 days after it expired or was revoked (security investigations)", OnErasure.DELETE),
    Entry("risk_factor_totp", ("subject_id",), Category.AUTHENTICATION, Basis.CONTRACT, None,
          "while enrolled", OnErasure.DELETE),
    Entry("risk_factor_payment_passwords", ("subject_id",), Category.AUTHENTICATION, Basis.CONTRACT, None,
          "while enrolled", OnErasure.DELETE),
    Entry("risk_factor_recovery_codes", ("subject_id",), Category.AUTHENTICATION, Basis.CONTRACT, None,
          "while the set is current", OnErasure.DELETE),
    Entry("risk_factor_lockouts", ("subject_id",), Category.AUTHENTICATION, Basis.LEGITIMATE_INTEREST,
          30 * DAY, "failed attempts: 30 days after the last one, once unlocked", OnErasure.DELETE),
    Entry("risk_devices", ("subject_id", "name", "public_key"), Category.ONLINE_IDENTIFIER, Basis.CONTRACT,
          None, "while the account exists (a revoked device stays listed)", OnErasure.DELETE),
    Entry("risk_factor_passkey_challenges", ("subject_id",), Category.AUTHENTICATION, Basis.CONTRACT, 0,
          "deleted once expired (a payment's passkey step-up: PSD2 dynamic linking)", OnErasure.DELETE),
    Entry("risk_device_challenges", ("subject_id",), Category.ONLINE_IDENTIFIER, Basis.CONTRACT, 0,
          "deleted once expired", OnErasure.DELETE),
    Entry("risk_device_fingerprints", ("subject_id", "fingerprint"), Category.ONLINE_IDENTIFIER,
          Basis.LEGITIMATE_INTEREST, 365 * DAY, "a year after last seen (fraud signal)", OnErasure.DELETE),
    Entry("screening_items", ("subject_id", "value"), Category.COMPLIANCE, Basis.LEGAL_OBLIGATION,
          5 * YEAR, RELATIONSHIP_ENDED, OnErasure.KEEP,
          "AML record keeping, Directive (EU) 2015/849 art. 40: 5 years after the relationship"),
    Entry("screenings", ("subject_id", "hits", "reviewer"), Category.COMPLIANCE, Basis.LEGAL_OBLIGATION,
          5 * YEAR, RELATIONSHIP_ENDED, OnErasure.KEEP,
          "AML record keeping, Directive (EU) 2015/849 art. 40; not exported either (art. 39: no tipping "
          "off)"),
    Entry("kyc_checks", ("subject_id",), Category.COMPLIANCE, Basis.LEGAL_OBLIGATION, 5 * YEAR,
          "5 years after the check completed", OnErasure.KEEP,
          "customer due diligence records, Directive (EU) 2015/849 art. 40"),
    Entry("kyc_subject_tiers", ("subject_id",), Category.COMPLIANCE, Basis.LEGAL_OBLIGATION, None,
          "with the customer's due diligence records", OnErasure.KEEP,
          "customer due diligence records, Directive (EU) 2015/849 art. 40"),
    Entry("kyc_tier_changes", ("subject_id", "actor"), Category.COMPLIANCE, Basis.LEGAL_OBLIGATION, None,
          "with the customer's due diligence records", OnErasure.KEEP,
          "customer due diligence records, Directive (EU) 2015/849 art. 40"),
    Entry("kyc_reviews", ("reviewer",), Category.COMPLIANCE, Basis.LEGAL_OBLIGATION, None,
          "with the customer's due diligence records", OnErasure.KEEP,
          "customer due diligence records, Directive (EU) 2015/849 art. 40"),
    Entry("risk_decisions", ("subject_id",), Category.COMPLIANCE, Basis.LEGAL_OBLIGATION, None,
          "with the payment records they decided", OnErasure.KEEP,
          "records of transaction risk analysis and SCA exemptions, Delegated Regulation (EU) 2018/389 "
          "art. 18-21, and AML record keeping, Directive (EU) 2015/849 art. 40"),
    Entry("risk_cases", ("subject_id",), Category.COMPLIANCE, Basis.LEGAL_OBLIGATION, None,
          "5 years after the business relationship ends (AMLD art. 40)", OnErasure.KEEP,
          "AML record keeping, Directive (EU) 2015/849 art. 40"),
    Entry("monitoring_alerts", ("subject_id",), Category.COMPLIANCE, Basis.LEGAL_OBLIGATION, None,
          "5 years after the business relationship ends (AMLD art. 40)", OnErasure.KEEP,
          "transaction monitoring records, Directive (EU) 2015/849 art. 40"),
    Entry("monitoring_sightings", ("subject_id",), Category.ONLINE_IDENTIFIER, Basis.LEGITIMATE_INTEREST,
          None, "while the account exists (the last country the subject was seen in)", OnErasure.DELETE),
    Entry("risk_factor_proofs", ("subject_id",), Category.AUTHENTICATION, Basis.CONTRACT, None,
          "until spent or expired (minutes)", OnErasure.DELETE),
    Entry("ledger_accounts", ("owner_id",), Category.PAYMENT, Basis.LEGAL_OBLIGATION, None,
          "10 years (commercial and tax book keeping)", OnErasure.KEEP,
          "book keeping and payment records (e.g. HGB §257, AO §147: 10 years); they name the subject "
          "only by its random id"),
    Entry("stablecoin_payments", ("payer",), Category.PAYMENT, Basis.LEGAL_OBLIGATION, None,
          "10 years (payment records)", OnErasure.KEEP,
          "payment records and the transfer-of-funds rule, Regulation (EU) 2023/1113"),
    Entry("stablecoin_payouts", ("to",), Category.PAYMENT, Basis.LEGAL_OBLIGATION, None,
          "10 years (payment records)", OnErasure.KEEP,
          "payment records and the transfer-of-funds rule, Regulation (EU) 2023/1113"),
    Entry("settlement_withdrawals", ("to",), Category.PAYMENT, Basis.LEGAL_OBLIGATION, None,
          "10 years (payment records)", OnErasure.KEEP,
          "payment records and the transfer-of-funds rule, Regulation (EU) 2023/1113"),
    Entry("privacy_personal_details",
          ("subject_id", "full_name", "email", "phone", "birth_date", "residence_country"),
          Category.CONTACT, Basis.CONTRACT, None, "while the account exists", OnErasure.DELETE),
    Entry("privacy_personal_details",
          ("document_kind", "document_number", "document_country", "document_collected_at"),
          Category.IDENTITY_DOCUMENT, Basis.LEGAL_OBLIGATION, 5 * YEAR,
          "5 years after it was collected, then cleared", OnErasure.DELETE,
          "the retention clock starts at document_collected_at"),
    Entry("privacy_analytics_events", ("pseudonym",), Category.PSEUDONYMOUS, Basis.LEGITIMATE_INTEREST,
          400 * DAY, "400 days (year on year reports)", OnErasure.DELETE),
    Entry("privacy_exports", ("subject_id", "requested_by"), Category.IDENTIFIER, Basis.LEGAL_OBLIGATION,
          3 * YEAR, "3 years (accountability, GDPR art. 5(2))", OnErasure.KEEP,
          "the record that the request was answered, GDPR art. 5(2)"),
    Entry("privacy_erasures", ("subject_id", "requested_by"), Category.IDENTIFIER, Basis.LEGAL_OBLIGATION,
          None, "kept: proves the erasure was done, GDPR art. 5(2)", OnErasure.KEEP,
          "the record that the request was answered, GDPR art. 5(2)"),
)  # fmt: skip

NOT_PERSONAL: Final[dict[tuple[str, str], str]] = {
    ("api_keys", "name"): "an operator's or merchant's label for a key, not a person",
    ("idempotency_keys", "principal"): "the API key that made the request (a merchant or operator key)",
    ("chain_events", "contract_name"): "a contract of ours",
    ("chain_events", "contract_address"): "a contract of ours",
    ("chain_events", "event_name"): "an event type",
    ("merchants", "legal_name"): "a business, not a natural person (merchant onboarding is B2B)",
    ("merchant_certificates", "fingerprint_sha256"): "a merchant's certificate",
    ("payment_intent_shares", "destination"): "a merchant id receiving a share",
    ("custody_keys", "public_key_package"): "a treasury key of ours",
    ("screening_lists", "version"): "a list file digest",
    ("kyc_checks", "provider_check_id"): "the provider's reference, meaningless without the provider",
    ("risk_device_nonces", "nonce"): "a random request nonce",
    ("bridge_leases", "name"): "the name of a bridge route's delivery lease, not a person",
}
"""Columns whose names match `PERSONAL_NAME` but hold no personal data, each with why."""


class RegistryError(ValueError):
    """The registry does not describe the schema (the message names the table and column)."""


def entries_of(table: str) -> tuple[Entry, ...]:
    """The registry's entries for `table` (empty if it holds no personal data)."""
    return tuple(entry for entry in REGISTRY if entry.table == table)


def retention_of(table: str, column: str | None = None) -> int | None:
    """The retention period, in seconds, the registry gives `table` (or its `column`)."""
    for entry in entries_of(table):
        if column is None or column in entry.columns:
            return entry.retention_seconds
    raise RegistryError(f"{table}{'.' + column if column else ''} is not in the personal-data registry")


def check(metadatas: Iterable[MetaData]) -> None:
    """Refuse a registry that names a table or column the schema lacks, a KEEP entry without a reason, or a
    schema column named like personal data (`PERSONAL_NAME`) that is neither classified nor declared not
    personal. Every problem found is listed in the one error."""
    columns = {
        (table.name, column.name)
        for metadata in metadatas
        for table in metadata.tables.values()
        for column in table.columns
    }
    problems: list[str] = []
    classified: set[tuple[str, str]] = set()
    for entry in REGISTRY:
        if entry.on_erasure is OnErasure.KEEP and not entry.reason:
            problems.append(f"{entry.table}: kept on erasure without a reason")
        for column in entry.columns:
            if (entry.table, column) not in columns:
                problems.append(f"{entry.table}.{column}: classified but not in the schema")
            classified.add((entry.table, column))
    for table, column in sorted(NOT_PERSONAL):
        if (table, column) not in columns:
            problems.append(f"{table}.{column}: declared not personal but not in the schema")
    for table, column in sorted(columns):
        if (table, column) in classified or (table, column) in NOT_PERSONAL:
            continue
        if PERSONAL_NAME.search(column):
            problems.append(f"{table}.{column}: named like personal data but not in the registry")
    if problems:
        raise RegistryError("; ".join(problems))
