"""The double-entry ledger: accounts, immutable transfers, two-phase and linked transfers, after TigerBeetle.

Pure domain logic over SQLAlchemy Core, usable from any layer above it (payments, the API) and by the
command line (`python -m ledger check`). It imports nothing of the project but `chain`. The calls are in
`accounts` and `transfers`, the reads of the journal in `journal`, the audit in `check`; their vocabulary
in `model`, `results` and `ids`; the tables in `schema`. Behind the calls: `rules` (one event), `batch`
(linked chains), `state` (the batch's working copy), `store` (locks and reads), `writes`, and
`transaction` (one transaction, retried on a race).
"""
