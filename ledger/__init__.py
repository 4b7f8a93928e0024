"""The double-entry ledger: accounts, immutable transfers, two-phase and linked transfers, after TigerBeetle.

Pure domain logic over SQLAlchemy Core, usable from any layer above it (payments, the API) and by the
command line (`python -m ledger check`). It imports nothing of the project but `chain`. Modules:
`model` (specs, flags, balances), `results` (result codes), `schema` (tables), `accounts`, `transfers`
(the calls), and behind them `rules` (one event), `batch` (linked chains), `state`, `store`, `transaction`.
"""
