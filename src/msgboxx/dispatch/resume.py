"""The in-process sandbox's reports still owed after a restart.

Its Delivered and Read are timers in the process that sent; they die with it
(a crash, a restart), while the network it stands for would have kept going.
"""

from __future__ import annotations

import uuid

from msgboxx.channels.registry import ChannelRegistry
from msgboxx.channels.sandbox.channel import PROVIDER_PREFIX as SANDBOX_PREFIX
from msgboxx.db import Database
from msgboxx.messages import service as messages

RESUME_PAGE = 1000  # messages read at a time


async def resume_sandbox(db: Database, channels: ChannelRegistry) -> int:
    """Hand the sandbox every message it still owes a report; returns how many.

    Every sandbox message Sent or Delivered is handed over, also those another
    live process is reporting: a report made twice changes nothing the second time.
    """
    after: uuid.UUID | None = None
    resumed = 0
    while True:
        async with db.tx(write=False) as tx:
            page = await messages.awaiting_reports(
                tx,
                channel="sandbox",
                provider_prefix=SANDBOX_PREFIX,
                after=after,
                limit=RESUME_PAGE,
            )
        for message in page:
            channels.sandbox.resume(
                message.provider_message_id,
                status=message.status,
                handed_off_at=message.handed_off_at,
            )
        resumed += len(page)
        if len(page) < RESUME_PAGE:
            return resumed
        after = page[-1].id
