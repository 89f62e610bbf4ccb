"""The 24-hour customer-service window: the one function that decides it.

WhatsApp lets a business send free-form text only within 24 hours of the
customer's last message to that number; each inbound message restarts it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from msgboxx.core.errors import SessionWindowClosed
from msgboxx.core.wire import format_timestamp

WINDOW = timedelta(hours=24)


def closes_at(last_inbound_at: datetime | None) -> datetime | None:
    return last_inbound_at + WINDOW if last_inbound_at else None


def is_open(last_inbound_at: datetime | None, *, now: datetime) -> bool:
    closing = closes_at(last_inbound_at)
    return closing is not None and now < closing


def open_since(now: datetime) -> datetime:
    """The customer's last message must be after this for the window to be open ``now``."""
    return now - WINDOW


def ensure_open(last_inbound_at: datetime | None, *, now: datetime) -> None:
    """Raise the contract's 422 when a session message may not be sent now."""
    if is_open(last_inbound_at, now=now):
        return
    closing = closes_at(last_inbound_at)
    when = (
        f"closed at {format_timestamp(closing)}"
        if closing
        else "has never opened: this contact has not written to this number"
    )
    raise SessionWindowClosed(
        f"The 24-hour session window {when}. Outside the window only an approved "
        "template may be sent: use POST /broadcast."
    )
