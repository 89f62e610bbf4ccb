"""The campaign runner: a background loop beside the dispatcher, in every process that sends.

It holds nothing of its own: what is due, what is pending and what is waiting
are rows, so a restart (or another process) simply carries on. It sleeps until
the next scheduled start, a commit that leaves it work (a campaign created,
resumed, a tier raised), or its poll; while a campaign is sending it comes back
often enough to keep its number's short queue topped up.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from msgboxx.campaigns import running
from msgboxx.core.loop import RoundLoop
from msgboxx.db import Database, utcnow
from msgboxx.settings import Settings

log = logging.getLogger(__name__)


class CampaignRunner(RoundLoop):
    name = "campaigns"

    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__()
        self.db = db
        self.poll = settings.campaign_poll_interval
        self.rules = running.Rules(
            number_rate=settings.number_throughput,
            ahead_seconds=settings.campaign_ahead_seconds,
            progress_interval=timedelta(seconds=settings.campaign_progress_interval),
            tier_default=settings.messaging_tier_default,
        )
        self._sending = False
        self._next_start: datetime | None = None

    async def run(self) -> None:
        log.info("campaign runner started", extra={"owner": self.owner})
        await self.rounds()

    async def run_once(self) -> int:
        async with self.db.tx(write=False) as tx:
            campaigns = await running.to_run(tx, now=utcnow())
            self._next_start = await running.next_start(tx)
        self._sending = bool(campaigns)
        settled = 0
        for campaign_id in campaigns:
            if self._stopping:
                break
            async with self.db.tx(write=True) as tx:
                settled += await running.advance(tx, campaign_id, now=utcnow(), rules=self.rules)
                await tx.commit()
        return settled

    def again_at_once(self, found: int) -> bool:
        return False  # the number's queue is topped up on the next beat, not in a spin

    def idle_seconds(self) -> float:
        idle = self.poll
        if self._sending:  # keep about ahead_seconds queued: look again within a fraction of it
            idle = min(idle, self.rules.ahead_seconds / 5)
        if self._next_start is not None:
            until = (self._next_start - utcnow()).total_seconds()
            idle = min(idle, max(0.001, until))
        return idle
