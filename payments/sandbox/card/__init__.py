"""The sandbox card processor: an acquirer as its own process (`python -m payments.sandbox.card`).

It tokenizes cards into a PAN vault sealed with AES-256-GCM under its own key, authorizes, captures, voids
and refunds them under Idempotency-Keys, challenges the cards that demand 3-D Secure on a page of its own,
reports challenges and disputes to the platform by signed webhooks, and books each capture and refund in a
daily settlement file. Its behaviour is driven by Stripe's test card numbers (`cards.TEST_CARDS`), as a real
processor's sandbox is; its state lives in its own SQLite database, so it survives a kill -9.
"""
