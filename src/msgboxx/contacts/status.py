"""A contact's consent, as the API and the channels name it (no table behind it here)."""

from __future__ import annotations

import enum


class ContactStatus(enum.StrEnum):
    subscribed = "Subscribed"
    presubscribed = "Presubscribed"
    unsubscribed = "Unsubscribed"
