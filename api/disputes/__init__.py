"""`/v1/disputes`: the HTTP face of `payments.intents.disputes`."""
