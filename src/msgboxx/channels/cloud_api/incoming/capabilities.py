"""A portfolio's messaging tier and a number's quality, as Meta reports them: tables again.

:data:`QUALITY_EVENTS` maps ``phone_number_quality_update`` events to a quality
rating; the others (``UPGRADE``, ``DOWNGRADE``, ``THROUGHPUT_UPGRADE``,
``ONBOARDING``) say only that the limit changed, which the limit fields carry.
"""

from __future__ import annotations

from collections.abc import Mapping

from msgboxx.channels.base import CapabilityChange
from msgboxx.channels.cloud_api import wire
from msgboxx.channels.cloud_api.incoming.items import Parsed, skip
from msgboxx.core.tiers import from_meta_value

# FLAGGED: the quality rating fell to low (Meta's red); UNFLAGGED: it recovered.
QUALITY_EVENTS = {"FLAGGED": "RED", "UNFLAGGED": "GREEN"}


def quality_change(
    value: wire.QualityUpdateValue, *, waba_id: str, numbers: Mapping[str, str], into: Parsed
) -> None:
    ours = f"+{value.display_phone_number.lstrip('+')}"
    if ours not in numbers.values():
        skip(into, f"quality update for number {value.display_phone_number}")
        return
    limit = value.max_daily_conversations_per_business or value.current_limit
    tier = from_meta_value(limit) if limit is not None else None
    quality = QUALITY_EVENTS.get(value.event.upper())
    if tier is None and quality is None:
        into.skipped.append(f"quality event {value.event}")
        return
    into.events.append(
        CapabilityChange(
            waba_id=waba_id,
            to_number=ours,
            quality=quality,
            tier=tier.value if tier is not None else None,
        )
    )


def capability_change(value: wire.CapabilityUpdateValue, *, waba_id: str, into: Parsed) -> None:
    limit = value.max_daily_conversations_per_business
    if limit is None:
        limit = value.max_daily_conversation_per_phone
    tier = from_meta_value(limit) if limit is not None else None
    if tier is None:
        into.skipped.append("capability update without a messaging limit")
        return
    into.events.append(CapabilityChange(waba_id=waba_id, to_number=None, tier=tier.value))
