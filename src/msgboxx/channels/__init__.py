"""Channels: how messages reach WhatsApp, behind one small interface."""
