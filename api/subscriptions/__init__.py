"""Subscription plans and subscriptions, read from the network's SubscriptionManager."""
