"""Where a campaign stands, and where each of its recipients does."""

from __future__ import annotations

import enum


class CampaignStatus(enum.StrEnum):
    scheduled = "scheduled"  # not yet due (sendAt), or created and about to start
    running = "running"
    paused = "paused"
    waiting = "waiting"  # every recipient left waits for room in the messaging tier
    completed = "completed"  # every recipient was queued or skipped
    cancelled = "cancelled"


# The runner works on these; pause, resume and cancel move between them.
ACTIVE = frozenset({CampaignStatus.scheduled, CampaignStatus.running, CampaignStatus.waiting})
FINAL = frozenset({CampaignStatus.completed, CampaignStatus.cancelled})


class RecipientState(enum.StrEnum):
    pending = "pending"
    waiting = "waiting"  # outside their window, and the tier has no room yet
    queued = "queued"
    skipped = "skipped"
    cancelled = "cancelled"


class SkipReason(enum.StrEnum):
    unsubscribed = "unsubscribed"
    missing_parameters = "missing_parameters"
    contact_erased = "contact_erased"
