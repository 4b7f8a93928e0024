"""The stablecoin rail: payers pay intents in tUSD through the PaymentRouter contract, a watcher reads the
`Paid` events at a confirmation depth and moves the intents (`settlement`), and a day's `Paid` events are a
reconciliation source (`statement`). See docs/rails.md, "Stablecoin".
"""
