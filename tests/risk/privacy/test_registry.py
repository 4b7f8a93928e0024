"""The personal-data registry matches the schema: every column named like personal data is classified."""

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from api.migrate import target_metadata
from risk.privacy import registry
from risk.privacy.registry import REGISTRY, OnErasure, RegistryError


def test_the_registry_describes_every_migrated_table():
    registry.check(target_metadata())


def test_a_new_table_with_an_unclassified_personal_column_fails():
    extra = MetaData()
    Table("newsletter_subscribers", extra, Column("id", Integer, primary_key=True), Column("email", String))
    with pytest.raises(RegistryError, match=r"newsletter_subscribers\.email: named like personal data"):
        registry.check([*target_metadata(), extra])


@pytest.mark.parametrize(
    "column", ["phone_number", "ip", "device_fingerprint", "document_id", "billing_address", "holder_name"]
)
def test_personal_looking_names_are_caught(column: str):
    assert registry.PERSONAL_NAME.search(column)


@pytest.mark.parametrize("column", ["amount", "currency", "status", "created_at", "tip", "story"])
def test_ordinary_names_are_not(column: str):
    assert not registry.PERSONAL_NAME.search(column)


def test_a_classified_column_missing_from_the_schema_fails():
    with pytest.raises(RegistryError, match=r"identity_passkeys\.credential_id: classified but not"):
        registry.check([m for m in target_metadata() if "identity_passkeys" not in m.tables])


def test_every_kept_table_says_why_and_retention_periods_are_read_from_it():
    assert all(entry.reason for entry in REGISTRY if entry.on_erasure is OnErasure.KEEP)
    assert registry.retention_of("identity_sessions") == 90 * registry.DAY
    assert registry.retention_of("privacy_personal_details", "document_number") == 5 * registry.YEAR
    with pytest.raises(RegistryError):
        registry.retention_of("payment_intents")
