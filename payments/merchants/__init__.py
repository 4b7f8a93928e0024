"""Merchant accounts and their modes: who may take payments, on what terms, and in which mode (sandbox or
live) a request acts.

`model` holds the account's values and rules (country, settlement currency, fee schedule, status), `schema`
its tables, `store` their reads and writes, `tenant` the (merchant, mode) filter every merchant-scoped query
goes through, and `certificates` the merchant CA that signs the merchants' client certificates. Pure of
HTTP: `api.merchants` exposes it.
"""
