"""The rails' clients: what the payment intents' `Rail` interface becomes for each rail (card, bank,
stablecoin), and the parsing of what each rail reports back (webhooks, statements).

A client speaks the real protocol of its counterpart over the network (ISO 20022 XML to a bank, the card
processor's JSON API, the chain's JSON-RPC); nothing here knows whether the counterpart is a sandbox.
"""
