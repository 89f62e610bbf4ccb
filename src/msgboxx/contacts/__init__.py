"""Customers of an account, their consent, and their 24-hour window's anchor."""
