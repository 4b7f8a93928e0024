"""The risk audit log's table (migrated by api/migrations/versions/0019_risk_decisions_cases.py): one row per
record, `seq` its position, `line` the record's canonical JSON exactly as `custody.audit` hashes it."""

from typing import Final

from sqlalchemy import BigInteger, Column, MetaData, Table, Text

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

risk_audit_log: Final = Table(
    "risk_audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("line", Text, nullable=False),
)
