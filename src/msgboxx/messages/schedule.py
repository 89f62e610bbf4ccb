"""Scheduled messages (``sendAt``): when one may be asked for, and whether it may still go.

The one place for both rules. A scheduled message is queued like any other
with its first attempt at ``sendAt``: the dispatcher holds it (``dispatch.claims``
wakes for the earliest due time), no task sleeps for it, and it survives
restarts because it is only a row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from msgboxx.contacts.status import UNSUBSCRIBED_REASON, ContactStatus
from msgboxx.core.errors import ProblemError, SessionWindowClosed, Unprocessable
from msgboxx.core.wire import format_timestamp
from msgboxx.messages import window

# How far ahead a message may be scheduled: beyond it a template may have been
# edited or the contact's consent changed long since; campaigns plan further.
MAX_AHEAD = timedelta(days=30)


def ensure_schedulable(send_at: datetime, *, now: datetime) -> None:
    """A 422 naming ``sendAt`` unless it is after ``now`` and at most ``MAX_AHEAD`` away.

    A time that has passed is refused rather than sent at once: a client that
    meant "now" leaves ``sendAt`` out, and one whose clock is wrong learns it.
    Checked at accept (not in the schema), so that a retry with the same
    ``Idempotency-Key`` replays its answer even once ``sendAt`` has passed.
    """
    if send_at <= now:
        raise Unprocessable.for_field(
            "sendAt", f"must be in the future (it is {format_timestamp(now)} now)"
        )
    if send_at > now + MAX_AHEAD:
        raise Unprocessable.for_field(
            "sendAt", f"may be at most {MAX_AHEAD.days} days ahead ({format_timestamp(now)} now)"
        )


def why_not_now(
    *, template: bool, last_inbound_at: datetime | None, contact_status: str | None, now: datetime
) -> ProblemError | None:
    """Why a scheduled message that fell due may not go out after all: the accept's own answer.

    What was true at accept may not be by ``sendAt``: a session message needs
    the 24-hour window open then (``window.ensure_open``, its wording and
    type), a template a contact who has not unsubscribed meanwhile.
    """
    if template:
        if contact_status == ContactStatus.unsubscribed:
            return Unprocessable.for_field("contactId", UNSUBSCRIBED_REASON)
        return None
    try:
        window.ensure_open(last_inbound_at, now=now)
    except SessionWindowClosed as closed:
        return closed
    return None
