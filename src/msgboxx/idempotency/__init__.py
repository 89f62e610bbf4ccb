"""Idempotency-Key: the same POST twice gives the first answer and does it once."""
