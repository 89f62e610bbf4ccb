"""Outbound webhooks: subscriptions, the event outbox, and signed deliveries."""
