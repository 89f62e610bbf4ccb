"""A customer's marketing preference (``user_preferences``): stop and resume, as consent.

https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/reference/user_preferences
"""

from __future__ import annotations

from datetime import UTC, datetime

from msgboxx.channels.base import ConsentChange
from msgboxx.channels.cloud_api import wire
from msgboxx.channels.cloud_api.incoming.items import (
    Parsed,
    Unreadable,
    phone,
    read,
    skip,
    timestamp,
)
from msgboxx.contacts.status import ContactStatus

PREFERENCES: dict[str, ContactStatus] = {
    "stop": ContactStatus.unsubscribed,
    "resume": ContactStatus.subscribed,
}


def preferences_change(value: wire.UserPreferencesValue, *, to_number: str, into: Parsed) -> None:
    for raw in value.user_preferences:
        preference = read(wire.UserPreference, raw, what="user preference", into=into)
        if preference is None:
            continue
        wanted = PREFERENCES.get(preference.value.lower())
        number = phone(preference.wa_id)
        if wanted is None or number is None:
            into.skipped.append(f"user preference {preference.value} of {preference.wa_id}")
            continue
        try:
            at = timestamp(preference.timestamp) if preference.timestamp else datetime.now(UTC)
        except Unreadable as exc:
            skip(into, f"user preference: {exc}")
            continue
        into.events.append(
            ConsentChange(to_number=to_number, from_number=number, status=wanted, at=at)
        )
