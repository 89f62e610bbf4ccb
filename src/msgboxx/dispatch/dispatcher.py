"""The dispatch loop: claim, send, record; in the server or in ``msgboxx worker``.

Crash safety comes from the order of steps. The claim is committed before any
send, and the outcome after it, so a process that dies leaves claims whose lease
runs out and another dispatcher sends them. The one unavoidable repeat: the
network accepted a message and the process died before recording it. The same
process started again holds the same lease owner name (``dispatch.identity``)
and takes its earlier claims back at once instead of waiting out their lease.

This module is the loop and its timing; each step is a module of its own:
``claims`` (what a round may take), ``sending`` (a batch out, its outcomes
recorded), ``submissions`` (templates to their channel), ``resume`` (the
sandbox's reports owed from before a restart) and ``template_sync``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from datetime import datetime, timedelta

from msgboxx.channels.registry import ChannelRegistry
from msgboxx.core.backpressure import Backpressure
from msgboxx.core.loop import RoundLoop
from msgboxx.db import Database, utcnow
from msgboxx.dispatch import claims, identity, template_sync, wakeup
from msgboxx.dispatch.resume import resume_sandbox
from msgboxx.dispatch.sending import BatchSender
from msgboxx.dispatch.submissions import TEMPLATE_BATCH, submit_due
from msgboxx.idempotency import service as idempotency
from msgboxx.media.storage import MediaStore
from msgboxx.messages import service as messages
from msgboxx.settings import Settings

log = logging.getLogger(__name__)


class Dispatcher(RoundLoop):
    """Claims, sends and records; one round costs a few statements whatever it carries.

    So a round is not run per accepted message: a partial batch means the queue
    was emptied, and the next round waits for a wake (an accept, a finished
    batch, a paced number's next slot), then lets more arrive for
    ``gather_seconds``. At one round per message the rounds cost more CPU than
    the messages they carried.
    """

    name = "dispatch"
    gather_seconds = 0.005

    def __init__(
        self,
        db: Database,
        channels: ChannelRegistry,
        settings: Settings,
        *,
        media_store: MediaStore | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.channels = channels
        self.settings = settings
        self.sender = BatchSender(db, channels, settings, media_store=media_store)
        self._next_sweep = 0.0
        self._paced_for: float | None = None
        # When the next scheduled message (or retry) becomes due, as the last claim read it.
        self._next_due_at: datetime | None = None
        self.pacing = claims.Pacing(
            number_rate=settings.number_throughput,
            number_burst=timedelta(seconds=settings.number_burst_seconds),
            pair_interval=timedelta(seconds=settings.pair_interval_seconds),
            pair_burst=settings.pair_burst,
        )
        self._next_template_sync = 0.0
        self._next_template_submission = 0.0
        # Batches still going out; the next batch is claimed while they do.
        self._batches: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._slot: identity.OwnerSlot | None = None
        # Before the first claim: take back what this owner name left behind.
        self._taken_back = False
        # Once after start: the sandbox's reports still owed for earlier hand-offs.
        self._resumed = False
        # Told every claim: the accepts of this process wait while sending is behind.
        self.backpressure = Backpressure(max_wait=settings.accept_wait_for_sending_seconds)

    async def run(self) -> None:
        self._slot = identity.take(self.settings.data_dir)
        self.owner = self._slot.owner
        self._taken_back = not self._slot.reclaims
        log.info("dispatcher started", extra={"owner": self.owner})
        listener = None
        if not self.db.is_sqlite:  # hear about work queued by other processes at once
            listener = asyncio.create_task(wakeup.listen(self.db.url, self.wake))
        try:
            await self.rounds()
        finally:
            self.backpressure.release()
            # Let the batches already handed to the network finish and be recorded.
            await asyncio.gather(*self._batches, return_exceptions=True)
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            # Only now may another process take the name (and what it holds).
            self._slot.release()

    def idle_seconds(self) -> float:
        idle = self.settings.dispatch_poll_interval
        if self._paced_for is not None:  # a number is at its rate: come back on time
            idle = max(0.001, min(idle, self._paced_for))
        if self._next_due_at is not None:  # a scheduled message falls due: be there
            idle = max(0.001, min(idle, (self._next_due_at - utcnow()).total_seconds()))
        return idle

    def again_at_once(self, found: int) -> bool:
        return found >= self.settings.dispatch_batch_size

    async def run_once(self) -> int:
        """One round: upkeep when due, template submissions when due, then a batch of messages.

        Templates are looked for once per poll interval (sooner after a full
        batch of them): they are few, and looking is a write transaction.
        """
        if not self._taken_back:  # no claim before it: ours would be freed too
            await self._take_back()
        try:
            await self.maintain()
        except Exception:
            log.exception("dispatcher upkeep failed")
        now = asyncio.get_running_loop().time()
        if now >= self._next_template_submission:
            submitted = await submit_due(
                self.db,
                self.channels,
                lease=timedelta(seconds=self.settings.dispatch_lease_seconds),
            )
            self._next_template_submission = (
                0.0 if submitted >= TEMPLATE_BATCH else now + self.settings.dispatch_poll_interval
            )
        return await self._send_batch()

    async def _send_batch(self) -> int:
        """Claim a batch and set it going; claim the next while it is out.

        A batch waits on its slowest send. Waiting for the whole batch before
        claiming the next left the network idle for most of each round, so up to
        ``dispatch_max_in_flight`` messages are out at once, in as many batches.
        """
        room = self.settings.dispatch_max_in_flight - self._in_flight
        if room <= 0:
            # Each batch wakes us as it finishes, and the claim then reads the next
            # due time afresh; a stale one, passed meanwhile, would spin the loop.
            self._next_due_at = None
            return 0
        now = utcnow()
        lease = timedelta(seconds=self.settings.dispatch_lease_seconds)
        limit = min(self.settings.dispatch_batch_size, room)
        async with self.db.tx(write=True) as tx:
            claim = await claims.claim_messages(
                tx,
                owner=self.owner,
                now=now,
                lease=lease,
                limit=limit,
                pacing=self.pacing,
            )
            await tx.commit()
        # A claim as large as it could be left due messages for the next.
        self.backpressure.claimed(len(claim.message_ids), behind=len(claim.message_ids) >= limit)
        self._paced_for = claim.retry_in
        self._next_due_at = claim.next_due_at
        if not claim.message_ids:
            return 0
        work = await self.sender.load(claim.message_ids)
        self._in_flight += len(claim.message_ids)
        batch = asyncio.create_task(
            self.sender.deliver(work, owner=self.owner), name="dispatch-batch"
        )
        self._batches.add(batch)
        batch.add_done_callback(functools.partial(self._delivered, len(claim.message_ids)))
        return len(claim.message_ids)

    async def _take_back(self) -> None:
        async with self.db.tx(write=True) as tx:
            freed = await claims.take_back(tx, owner=self.owner)
            await tx.commit()
        self._taken_back = True
        if freed:
            log.info("took back claims of a previous run", extra={"messages": freed})

    def _delivered(self, size: int, batch: asyncio.Task[None]) -> None:
        self._batches.discard(batch)
        self._in_flight -= size
        if not batch.cancelled() and batch.exception() is not None:
            # Unrecorded sends stay leased; the lease expires and they are retried.
            log.error("dispatch batch failed", exc_info=batch.exception())
        self.wake()

    async def maintain(self) -> None:
        """Periodic upkeep: held status reports, expired idempotency keys, templates.

        And once after start, the sandbox's reports for what it had already taken.
        """
        if not self._resumed:
            resumed = await resume_sandbox(self.db, self.channels)
            self._resumed = True
            if resumed:
                log.info("sandbox reports resumed", extra={"messages": resumed})
        now = asyncio.get_running_loop().time()
        if now >= self._next_sweep:
            self._next_sweep = now + 30.0
            async with self.db.tx(write=True) as tx:
                await messages.apply_held_reports(
                    tx, max_age=timedelta(days=self.settings.held_report_days)
                )
                await idempotency.forget_expired(tx)
                await tx.commit()
        if now >= self._next_template_sync:
            self._next_template_sync = now + self.settings.template_sync_interval
            await template_sync.sync_all(self.db, self.channels)
