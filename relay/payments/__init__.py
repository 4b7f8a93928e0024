"""The payments watcher: reads the PaymentRouter's `Paid` events at a confirmation depth and settles the
payment intents they pay, in the API's database (`python -m relay.payments`)."""
