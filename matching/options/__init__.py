"""European cash-settled options on TPW (issue 13, point 4): pure pricing, surface, series and margin.

No I/O and no money movement here (an import contract holds it: only `matching.engine` and
`matching.markets` may be imported); the books, the ledger and expiry settlement are
`matching.options_market`'s. Every number is a `decimal.Decimal` under `decimal_context.CONTEXT` or an
integer of ledger units: no float touches a premium, a mark or a margin.
"""
