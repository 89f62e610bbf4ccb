"""Organisations, users, passwords and access tokens."""
