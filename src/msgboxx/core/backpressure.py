"""Back-pressure: while sending is behind, accepts wait for it, in the same process.

On the embedded default one event loop serves the API and sends. Requests win
that contest: every connection with a request ready takes a turn of the loop,
while the dispatcher is one task among them. Offered more messages than the
loop can both accept and send, the process accepted them at the rate it was
offered and sent only what the requests left over (600/s offered for a minute:
278/s reached Read, the rest queued).

So while the dispatcher leaves due messages behind (its last claim was as large
as it was allowed to be), an accept waits for a claim, and each claim lets
through as many accepts as it took messages. Accepting then runs at the rate
sending runs, the queue stops growing, and the loop is shared in the proportion
that carries the most messages to the network. Clients see the wait as a slower
answer, which is what slows a client that sends as fast as it is answered.

Nothing else changes: a paced number's queue leaves claims short of their
limit (it is not "behind"), a scheduled message is not due, and an accept that
has waited ``max_wait`` seconds goes ahead anyway, so a stalled dispatcher
delays accepts by at most that, never refuses them.
"""

from __future__ import annotations

import asyncio


class Backpressure:
    """The dispatcher's pace, told to the accepts of the same process."""

    def __init__(self, *, max_wait: float) -> None:
        self.max_wait = max_wait
        self._behind = False
        # Accepts that may go ahead until the next claim.
        self._allowance = 0
        self._claimed = asyncio.Event()

    @property
    def behind(self) -> bool:
        return self._behind

    def claimed(self, taken: int, *, behind: bool) -> None:
        """A claim took ``taken`` messages; ``behind``: it left due ones for the next."""
        self._behind = behind
        self._allowance = taken if behind else 0
        claimed, self._claimed = self._claimed, asyncio.Event()
        claimed.set()  # the waiters look again, in the order they came

    def release(self) -> None:
        """The dispatcher stops: accepts no longer wait for it."""
        self.claimed(0, behind=False)

    async def accept_turn(self) -> None:
        """Return when an accept may go ahead: at once, unless sending is behind."""
        if not self._behind or self.max_wait <= 0:
            return
        try:
            # The dispatcher slow to claim holds a caller no longer than this.
            async with asyncio.timeout(self.max_wait):
                while self._behind and self._allowance <= 0:
                    await self._claimed.wait()
        except TimeoutError:
            return
        if self._behind:
            self._allowance -= 1
