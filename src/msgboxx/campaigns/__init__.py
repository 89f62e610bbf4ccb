"""Campaigns: one approved template, filled in per contact, to a whole audience."""
