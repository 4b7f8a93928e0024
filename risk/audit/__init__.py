"""The risk stream of the hash-chained audit log: decisions and case actions, kept in the database.

The record format, hashing, chaining and verification are custody's (`custody.audit`): this package only
supplies an `AuditStore` over a table, so a risk record is appended in the same transaction as the decision
or case change it describes (both commit, or neither), and `custody.audit.verify_entries` checks it.
"""

from risk.audit.reviews import record_decision, text_digest
from risk.audit.store import SqlAuditStore, append, records, verify

__all__ = ["SqlAuditStore", "append", "record_decision", "records", "text_digest", "verify"]
