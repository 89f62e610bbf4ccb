"""A verified webhook body, entry by entry and change by change, to the reader of its field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from msgboxx.channels.cloud_api import wire
from msgboxx.channels.cloud_api.incoming.capabilities import capability_change, quality_change
from msgboxx.channels.cloud_api.incoming.inbound import messages_change
from msgboxx.channels.cloud_api.incoming.items import Parsed, read
from msgboxx.channels.cloud_api.incoming.preferences import preferences_change
from msgboxx.channels.cloud_api.incoming.templates import template_change

# Fields of the messages webhook we do not act on (they are not errors).
IGNORED_FIELDS = frozenset(
    {
        "account_update",
        "account_alerts",
        "account_review_update",
        "phone_number_name_update",
        "template_category_update",
        "message_template_quality_update",
        "security",
        "history",
        "smb_message_echoes",
        "smb_app_state_sync",
    }
)


class MalformedWebhook(Exception):
    """The body is not JSON at all; Meta should see a 400.

    Anything less is read item by item: a message, status or change we cannot
    read is skipped and logged, and the rest of the body is stored (a 400 would
    make Meta redeliver the whole body for days and then drop all of it).
    """


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; anything else cannot be a webhook (400)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise MalformedWebhook("the body is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedWebhook("the body is not a JSON object")
    return body


def parse(body: Mapping[str, Any], *, numbers: Mapping[str, str], wabas: frozenset[str]) -> Parsed:
    """Every change of every entry as events, for the numbers and accounts given.

    ``numbers`` maps a Cloud API phone-number id to our E.164 number and ``wabas``
    holds business account ids: changes for others are skipped (they are not
    ours, or were not signed with their app's secret).
    """
    parsed = Parsed()
    envelope = read(wire.WebhookBody, body, what="body", into=parsed)
    if envelope is None:
        return parsed
    if envelope.object != "whatsapp_business_account":
        parsed.skipped.append(f"object {envelope.object}")
        return parsed
    for raw_entry in envelope.entry:
        entry = read(wire.Entry, raw_entry, what="entry", into=parsed)
        for raw_change in entry.changes if entry else []:
            change = read(wire.Change, raw_change, what="change", into=parsed)
            if entry is not None and change is not None:
                _parse_change(change, waba_id=entry.id, numbers=numbers, wabas=wabas, into=parsed)
    return parsed


def _parse_change(
    change: wire.Change,
    *,
    waba_id: str,
    numbers: Mapping[str, str],
    wabas: frozenset[str],
    into: Parsed,
) -> None:
    if change.field == "messages":
        value = read(wire.MessagesValue, change.value, what="messages change", into=into)
        if value is None:
            return
        ours = numbers.get(value.metadata.phone_number_id)
        if ours is None:
            into.skipped.append(f"phone number id {value.metadata.phone_number_id}")
            return
        messages_change(value, to_number=ours, into=into)
    elif change.field == "user_preferences":
        prefs = read(wire.UserPreferencesValue, change.value, what="preferences", into=into)
        if prefs is None:
            return
        ours = numbers.get(prefs.metadata.phone_number_id)
        if ours is None:
            into.skipped.append(f"phone number id {prefs.metadata.phone_number_id}")
            return
        preferences_change(prefs, to_number=ours, into=into)
    elif change.field == "message_template_status_update":
        template = read(wire.TemplateStatusValue, change.value, what="template", into=into)
        if template is None:
            return
        if waba_id not in wabas:
            into.skipped.append(f"business account {waba_id}")
            return
        template_change(template, waba_id=waba_id, into=into)
    elif change.field == "phone_number_quality_update":
        # Addressed by the number (one of the signers'), like a messages change.
        quality = read(wire.QualityUpdateValue, change.value, what="quality", into=into)
        if quality is not None:
            quality_change(quality, waba_id=waba_id, numbers=numbers, into=into)
    elif change.field == "business_capability_update":
        limits = read(wire.CapabilityUpdateValue, change.value, what="capability", into=into)
        if limits is None:
            return
        if waba_id not in wabas:
            into.skipped.append(f"business account {waba_id}")
            return
        capability_change(limits, waba_id=waba_id, into=into)
    else:
        into.skipped.append(f"field {change.field}")
