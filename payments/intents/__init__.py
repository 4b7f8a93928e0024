"""Payment intents after Stripe's, every movement of their money booked on the ledger.

The calls are in `intents` (create to capture and cancel), `refunds` and `disputes`; the lifecycle's table
in `transitions`; the vocabulary in `model`, `errors` and `rails` (the one interface every rail offers).
Behind them: `movements` (each step's ledger transfers, pure), `postings` (the ledger's accounts and
chains), `split` (shares and proportional division), `store` and `schema` (the rows), `context` (the
dependencies and the one-transaction shape of a step), `events` (what each change announces to the merchant's
webhooks, in its transaction) and `rendering` (the objects' JSON, shared with the API).
`python -m payments.intents expire-uncaptured` lapses old authorizations from cron.
"""
