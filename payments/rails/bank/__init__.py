"""The bank rail: pay by bank over ISO 20022 (a PSD2 payment initiation, refunds the other way).

`client.BankRail` is the intents' `Rail` (pain.001 out, the pain.002 answer read back); `notifications`
applies the bank's signed pain.002 / camt.054 webhooks to intents and refunds; `statements.BankStatements`
reads the collection account's camt.053 as reconciliation's lines. Every message is built and read through
its official XSD (`xsd`, the files in `schemas/`); `accounts` checks IBANs and BICs with schwifty. The flow,
the identifiers and the sandbox bank's test IBANs are in docs/rails.md.
"""
