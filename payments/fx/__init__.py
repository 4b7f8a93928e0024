"""Foreign exchange: quotes locked for a while at a spread, and conversions that post to the ledger.

Pure domain logic over SQLAlchemy Core, below the API. `currency` says what a currency is (ISO 4217 minor
units, and the devnet's tUSD), `rates` where mid-market rates come from (a pluggable `RateSource`, the ECB's
reference file by default), `pricing` the exact arithmetic of a quote (rationals, banker's rounding),
`quotes` and `conversions` what is stored and posted, `books` the FX desk's own ledger accounts per
currency, `schema` the tables. docs/fx.md explains how every conversion balances to the minor unit.
"""
