"""The factors' tables, in a MetaData of their own (migrated by api/migrations/versions/0016_risk_factors.py,
0019 and 0027).

Rows are keyed by `subject_id`, an opaque identity string (no foreign key: identities live in another
subpackage). Times are BIGINT unix seconds, the unit of the injected clock and of TOTP. Secrets are never
stored in clear: the TOTP secret is sealed (AES-256-GCM, `sealing`), the payment password is an Argon2id
hash, a recovery code is the SHA-256 of a 100-bit random code (`recovery` says why no slow hash is needed).
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

SUBJECT_ID_MAX: Final = 64

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

totp_secrets: Final = Table(
    "risk_factor_totp",
    metadata,
    Column("subject_id", String(SUBJECT_ID_MAX), primary_key=True),
    Column("sealed_secret", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("confirmed_at", BigInteger, nullable=True),
    # The time step of the last accepted code: a code of this step or an earlier one is refused, so each
    # code is accepted once, even by two verifications racing (a conditional UPDATE decides).
    Column("last_step", BigInteger, nullable=True),
)

payment_passwords: Final = Table(
    "risk_factor_payment_passwords",
    metadata,
    Column("subject_id", String(SUBJECT_ID_MAX), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

recovery_codes: Final = Table(
    "risk_factor_recovery_codes",
    metadata,
    Column("subject_id", String(SUBJECT_ID_MAX), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
    PrimaryKeyConstraint("subject_id", "code_hash"),
)

lockouts: Final = Table(
    "risk_factor_lockouts",
    metadata,
    Column("subject_id", String(SUBJECT_ID_MAX), nullable=False),
    Column("factor", String(32), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("lockouts", Integer, nullable=False),
    Column("locked_until", BigInteger, nullable=True),
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("subject_id", "factor"),
    CheckConstraint("failures >= 0 AND lockouts >= 0", name="counts_not_negative"),
)

proofs: Final = Table(
    "risk_factor_proofs",
    metadata,
    # Migrated by api/migrations/versions/0019_factors_api.py. One row per issued factor proof
    # (`risk.factors.proofs`): the claims its token carries, and `used_at` once consumed, so a proof is
    # spent by a conditional UPDATE exactly once. Rows are swept once expired.
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(SUBJECT_ID_MAX), nullable=False),
    Column("factor", String(32), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("challenge", String(128), nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
    Index("ix_risk_factor_proofs_expires_at", "expires_at"),
)

passkey_challenges: Final = Table(
    "risk_factor_passkey_challenges",
    metadata,
    # Migrated by api/migrations/versions/0027_passkey_step_up.py. One row per WebAuthn challenge issued for
    # a payment's step-up (`risk.factors.passkey`): what the challenge is bound to (PSD2 dynamic linking:
    # the intent, its amount, currency and payee), the random nonce it was derived with, and `used_at` once
    # spent, so an assertion answers it exactly once. Rows are deleted once expired, when the next is issued.
    Column("id", String(40), primary_key=True),
    Column("subject_id", String(SUBJECT_ID_MAX), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("reference", String(128), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("payee", String(128), nullable=False),
    Column("nonce", LargeBinary, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
    Index("ix_risk_factor_passkey_challenges_expires_at", "expires_at"),
    CheckConstraint("amount > 0", name="amount_positive"),
)
