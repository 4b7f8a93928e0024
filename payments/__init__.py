"""Payments: merchants, payment intents, rails, FX, webhooks."""
