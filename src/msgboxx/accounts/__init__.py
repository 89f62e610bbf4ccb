"""API accounts (one WhatsApp business number each) and their inboxes."""
