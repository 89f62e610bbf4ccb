"""A contact's consent, as the API and the channels name it (no table behind it here)."""

from __future__ import annotations

import enum


class ContactStatus(enum.StrEnum):
    subscribed = "Subscribed"
    presubscribed = "Presubscribed"
    unsubscribed = "Unsubscribed"


# Why an unsubscribed contact is sent no template: at accept, and when a scheduled one falls due.
UNSUBSCRIBED_REASON = "the contact has unsubscribed and may not receive broadcasts"
