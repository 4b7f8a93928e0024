"""A sandbox bank speaking ISO 20022, run as its own process (`python -m payments.sandbox.bank`).

It holds accounts with balances (documented test IBANs drive every outcome: `accounts`), takes pain.001
credit transfer initiations and answers each with a pain.002, settles accepted transfers after a delay,
notifies the platform with signed pain.002 and camt.054 webhooks, and serves each account's camt.053 for a
day. Its messages go through the rail's codecs (`payments.rails.bank`), so both sides validate against the
same ISO 20022 schemas.
"""
