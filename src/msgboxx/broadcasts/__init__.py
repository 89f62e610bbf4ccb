"""Broadcasts: approved-template messages, allowed outside the 24-hour window."""
