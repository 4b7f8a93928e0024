"""Risk before entry (issue 13, point 6): the limits an order passes before it reaches a book or reserves
anything, the kill switches operators engage, and the liquidation cool-downs the perpetual reports.

Everything here is in the book's integers (lots, ticks) and ledger minor units, and knows no market
implementation: the API (`api.orders.pretrade`) reads a market's figures and hands them in, so spot,
perpetual and option markets pass the same checks. The stores write on the caller's connection, so an
operator's action commits with its audit record.
"""
