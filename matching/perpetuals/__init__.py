"""TPW-PERP against tUSD (issue 13, point 3): the perpetual's domain logic, pure and deterministic.

Prices are the book's integer ticks, sizes its integer lots, money tUSD minor units; no float touches
money. Nothing here does I/O: the index reads a price through an interface, the book is reached only
through the engine's public `Place` commands and `Trade` events, and every margin call, liquidation,
take-over, deleveraging and funding payment is returned as a record for the ledger and the API to carry.

  spec.py         the contract: lot, tick, multiplier, margin tiers, fees, funding and mark parameters
  units.py        integer helpers (ceil division, clamps, median) and the scales (bps, ppm)
  index/          IndexSource, the AMM source, the index rule (AMM clamped into the book's spread)
  mark.py         fair-price marking: the book's fair price clamped into a band around the index
  funding.py      premium index, clamped funding rate, payments that sum to zero exactly
  accounts.py     positions (size, entry value, realised PnL), cross and isolated margin buckets
  margin.py       tiered initial and maintenance margin, leverage caps, `check(account, mark)`, admission
  records.py      the events this market emits, each with its reason
  liquidation/    partial then full liquidation, the insurance fund, auto-deleveraging
  market.py       Perpetual: applies the engine's trades, mark changes and funding to the accounts
"""
