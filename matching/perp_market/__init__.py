"""The perpetual market service (issue 13, point 3): `matching.perpetuals`' domain run for real.

The engine's book is journaled (`matching.journal.JournaledBook`); the perpetual's own inputs (deposits,
withdrawals, leverage and margin-mode changes, price rounds) are journaled beside it, each stamped with the
book's sequence number at the time, so replaying both rebuilds the domain exactly. Every step's money
moves are posted to the ledger as one linked batch with derived references, together with its records.

  accounts.py   the ledger accounts (derived ids): margin per trader, the fund, fees, clearing, funding
  inputs.py     the perpetual's journaled inputs and their record codec
  postings.py   one step's domain change -> linked ledger transfers, each tagged with its cause
  runner.py     applies book commands and inputs to the `Perpetual` (the same code live and in replay)
  records.py    the records table (margin calls, liquidations, funding), written with the step's transfers
  text.py       decimal strings <-> ticks, lots and tUSD units, exactly
  market.py     PerpMarket: the single writer (hold, journal, apply, post) and its recovery at open
  reads.py      PerpReads: what the market answers without changing (accounts, exposure, prices)
"""
