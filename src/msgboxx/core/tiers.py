"""WhatsApp's messaging tiers: how many customers a business may reach outside their window.

Meta caps, per business portfolio (an organisation here), the unique customers
reached with business-initiated messages (templates outside the 24-hour window)
in a moving 24 hours. The tiers are 250, 2,000, 10,000, 100,000 and unlimited;
the old 1,000 tier was raised to 2,000 (cloud-api.md section 5).
"""

from __future__ import annotations

import enum
import re
from datetime import timedelta

# The moving period a tier counts unique customers over.
PERIOD = timedelta(hours=24)


class MessagingTier(enum.StrEnum):
    tier_250 = "250"
    tier_2000 = "2000"
    tier_10000 = "10000"
    tier_100000 = "100000"
    unlimited = "unlimited"

    @property
    def limit(self) -> int | None:
        """Unique customers per moving 24 hours; None when unlimited."""
        return None if self is MessagingTier.unlimited else int(self.value)


# Meta's names, in `whatsapp_business_manager_messaging_limit`, `current_limit` and
# `max_daily_conversations_per_business`: TIER_250, TIER_2K, TIER_10K, TIER_100K,
# TIER_UNLIMITED (and the retired TIER_1K, now 2,000; TIER_50 for unverified businesses
# counts as the lowest tier kept here).
_META = re.compile(r"^TIER_(\d+)(K?)$")


def from_meta(name: str) -> MessagingTier | None:
    """The tier Meta names, or None for a name that is not a tier."""
    name = name.strip().upper()
    if name in {"TIER_UNLIMITED", "UNLIMITED"}:
        return MessagingTier.unlimited
    match = _META.match(name)
    if match is None:
        return None
    count = int(match.group(1)) * (1000 if match.group(2) else 1)
    for tier in (MessagingTier.tier_100000, MessagingTier.tier_10000, MessagingTier.tier_2000):
        limit = tier.limit
        if limit is not None and count >= limit:
            return tier
    if count >= 1000:
        return MessagingTier.tier_2000  # the retired 1K tier became 2K
    return MessagingTier.tier_250


def from_meta_value(value: str | int) -> MessagingTier | None:
    """A tier as a webhook gives it: ``TIER_2K``, or a count (``2000``; ``-1`` is unlimited)."""
    if isinstance(value, int) or value.strip().lstrip("-").isdigit():
        count = int(value)
        return MessagingTier.unlimited if count < 0 else from_meta(f"TIER_{count}")
    return from_meta(value)
