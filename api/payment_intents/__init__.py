"""`/v1/payment-intents` and `/v1/refunds`: the HTTP face of `payments.intents`."""
