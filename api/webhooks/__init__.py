"""Webhook endpoints, events and deliveries over HTTP (`payments.webhooks` does the work)."""
