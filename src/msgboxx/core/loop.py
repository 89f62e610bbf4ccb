"""The loop every background worker runs: rounds until stopped, idle until woken.

Shared by the message dispatcher and the webhook sender so that both stop, wake
and survive a failed round the same way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

log = logging.getLogger(__name__)


def owner_id() -> str:
    """Who holds a lease: host, process and instance, readable in the database."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RoundLoop:
    """Run ``run_once`` again and again; after an empty round, wait to be woken."""

    name = "background"

    def __init__(self) -> None:
        self.owner = owner_id()
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Called after a commit that queued work, so it leaves without a poll delay."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_once(self) -> int:
        """Do one round; return how much work it found (0 means idle)."""
        raise NotImplementedError

    def idle_seconds(self) -> float:
        """How long to wait after an empty round when nobody wakes us."""
        raise NotImplementedError

    def again_at_once(self, found: int) -> bool:
        """Whether a round that found this much leaves more for the next at once."""
        return found > 0

    # After a wake, how long to let more work arrive before the next round, so
    # that work queued moments apart is taken in one round (0: none).
    gather_seconds = 0.0

    async def rounds(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before the round: a wake during it is not lost
            try:
                found = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background round failed", extra={"loop": self.name})
                found = 0
            if self.again_at_once(found):
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.idle_seconds())
            except TimeoutError:
                continue
            if self.gather_seconds and not self._stopping:
                await asyncio.sleep(self.gather_seconds)
