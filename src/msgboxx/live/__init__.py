"""Live changes: every committed change, to the viewers of its account, within a second.

``Feed`` (one per process, ``wiring.open_live``) takes each commit's changes
and hands them to subscribers in every process (PostgreSQL LISTEN/NOTIFY);
``sse.response`` makes a subscription an event stream; ``GET /live`` is the
API's (``router``).
"""

from msgboxx.live.changes import Change
from msgboxx.live.feed import Feed, Reset, Subscription

__all__ = ["Change", "Feed", "Reset", "Subscription"]
