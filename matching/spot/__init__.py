"""Spot markets over the ledger: funds held while an order is open, trades settled as linked transfers.

`accounts` names the ledger accounts (derived ids, so nothing maps traders to accounts but arithmetic),
`settlement` turns a command's events into ledger transfers (pure), `poster` writes them exactly once, and
`market` is the single writer of one market: hold, journal, match, post.
"""
