"""Pieces every domain shares: errors, wire conventions, phone numbers, paging."""
