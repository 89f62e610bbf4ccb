"""The dispatch loop: claim, send, record; in the server or in ``msgboxx worker``.

Crash safety comes from the order of steps. The claim is committed before any
send, and the outcome after it, so a process that dies leaves claims whose lease
runs out and another dispatcher sends them. The one unavoidable repeat: the
network accepted a message and the process died before recording it. The same
process started again holds the same lease owner name (``dispatch.identity``)
and takes its earlier claims back at once instead of waiting out their lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select

from msgboxx.accounts.models import ApiAccount
from msgboxx.channels.base import OutboundMessage, SendError, TemplateSubmission
from msgboxx.channels.registry import ChannelRegistry, UnknownChannel
from msgboxx.channels.sandbox.channel import PROVIDER_PREFIX as SANDBOX_PREFIX
from msgboxx.contacts.models import Contact
from msgboxx.db import Database, utcnow
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx
from msgboxx.dispatch import backoff, claims, identity, template_sync, wakeup
from msgboxx.dispatch.loop import RoundLoop
from msgboxx.idempotency import service as idempotency
from msgboxx.messages import service as messages
from msgboxx.messages.models import Message
from msgboxx.messages.service import SendOutcome
from msgboxx.observability import metrics
from msgboxx.settings import Settings
from msgboxx.templates.models import Template, TemplateStatus

log = logging.getLogger(__name__)
RECORD_EVERY = 0.01  # seconds between outcome commits while a batch is being sent
TEMPLATE_BATCH = 20  # template submissions claimed in one round
RESUME_PAGE = 1000  # messages read at a time when the sandbox resumes its reports


# Prepared once: every batch runs it (on rows: a model per message cost more
# than the query).
_CLAIMED_WORK = Prepared(
    select(
        Message.id,
        Message.account_id,
        Message.text,
        Message.template_parameters,
        Message.attempts,
        ApiAccount.phone_number,
        ApiAccount.channel,
        ApiAccount.channel_settings,
        Contact.mobile_number,
        Template.name,
        Template.language,
    )
    .join(ApiAccount, ApiAccount.id == Message.account_id)
    .outerjoin(Contact, Contact.id == Message.contact_id)
    .outerjoin(Template, Template.id == Message.template_id)
    .where(Message.id.in_(bindparam("ids", expanding=True)))
    .order_by(Message.created_at)
)


@dataclass(frozen=True, slots=True)
class Job:
    channel: str
    message: OutboundMessage
    # Including this one: the claim counted it.
    attempts: int


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

    def __init__(self, db: Database, channels: ChannelRegistry, settings: Settings) -> None:
        super().__init__()
        self.db = db
        self.channels = channels
        self.settings = settings
        self._next_sweep = 0.0
        self._paced_for: float | None = None
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
            submitted = await self._submit_templates()
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
            return 0  # each batch wakes us as it finishes
        now = utcnow()
        lease = timedelta(seconds=self.settings.dispatch_lease_seconds)
        async with self.db.tx(write=True) as tx:
            claim = await claims.claim_messages(
                tx,
                owner=self.owner,
                now=now,
                lease=lease,
                limit=min(self.settings.dispatch_batch_size, room),
                pacing=self.pacing,
            )
            await tx.commit()
        self._paced_for = claim.retry_in
        if not claim.message_ids:
            return 0
        async with self.db.tx(write=False) as tx:
            work = await self._load(tx, claim.message_ids)
        self._in_flight += len(claim.message_ids)
        batch = asyncio.create_task(self._deliver(work), name="dispatch-batch")
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

    async def _deliver(self, work: list[Job | SendOutcome]) -> None:
        by_contact: dict[str, list[Job | SendOutcome]] = defaultdict(list)
        for item in work:
            key = item.message.to_number if isinstance(item, Job) else str(item.message_id)
            by_contact[key].append(item)
        finished: list[SendOutcome] = []
        sending = asyncio.gather(*(self._send_in_order(q, finished) for q in by_contact.values()))
        # Record outcomes every few milliseconds while the batch is still going out:
        # a crash can then repeat only sends from the last few milliseconds, the one
        # window no protocol closes (the network accepted, we died before writing it).
        while not sending.done():
            await asyncio.wait({sending}, timeout=RECORD_EVERY)
            await self._record_finished(finished)
        # Sends that finished while the last record was being written: left
        # unrecorded, their lease would expire and send them a second time.
        await self._record_finished(finished)
        sending.result()

    async def _record_finished(self, finished: list[SendOutcome]) -> None:
        if finished:
            done, finished[:] = list(finished), []
            await self._record(done)

    async def _load(self, tx: Tx, ids: list[uuid.UUID]) -> list[Job | SendOutcome]:
        work: list[Job | SendOutcome] = []
        for (
            message_id,
            account_id,
            text,
            template_parameters,
            attempts,
            from_number,
            channel,
            channel_settings,
            to_number,
            template_name,
            template_language,
        ) in await _CLAIMED_WORK.all(tx, {"ids": ids}):
            if text is None:  # erasure blanks the text of every message of the contact
                error = SendError("the contact was erased", code="erased", retryable=False)
                work.append(self._after_failure(message_id, attempts, error))
                continue
            if to_number is None:
                error = SendError(
                    "the contact has no phone number, only a WhatsApp user id;"
                    " sending to user ids is not supported yet",
                    code="no-number",
                    retryable=False,
                )
                work.append(self._after_failure(message_id, attempts, error))
                continue
            outbound = OutboundMessage(
                message_id=message_id,
                account_id=account_id,
                from_number=from_number,
                to_number=to_number,
                text=text,
                template_name=template_name,
                template_language=template_language,
                template_parameters=list(template_parameters or []),
                channel_settings=dict(channel_settings or {}),
            )
            work.append(Job(channel, outbound, attempts))
        return work

    async def _send_in_order(
        self, queue: list[Job | SendOutcome], finished: list[SendOutcome]
    ) -> None:
        """Messages to one contact leave one after another, in the order accepted."""
        for item in queue:
            finished.append(item if isinstance(item, SendOutcome) else await self._send_one(item))

    async def _send_one(self, job: Job) -> SendOutcome:
        message = job.message
        try:
            provider_id = await self.channels.get(job.channel).send(message)
        except SendError as exc:
            error = exc
        except UnknownChannel as exc:
            error = SendError(f"no channel {exc}", code="no-channel", retryable=False)
        except Exception as exc:
            log.exception("channel send raised", extra={"message_id": str(message.message_id)})
            error = SendError(f"unexpected channel error: {exc}", code="crash", retryable=True)
        else:
            return SendOutcome(message.message_id, provider_message_id=provider_id)
        return self._after_failure(message.message_id, job.attempts, error)

    async def _record(self, outcomes: list[SendOutcome]) -> None:
        """Write every outcome of the batch in one transaction, only for our own leases."""
        async with self.db.tx(write=True) as tx:
            recorded = await messages.record_sends(
                tx, owner=self.owner, outcomes=outcomes, at=utcnow()
            )
            await tx.commit()
        metrics.MESSAGES_SENT.inc(sum(1 for o in recorded if o.provider_message_id is not None))
        metrics.MESSAGES_FAILED.inc(sum(1 for o in recorded if o.failure_reason is not None))

    def _after_failure(self, message_id: uuid.UUID, attempts: int, error: SendError) -> SendOutcome:
        """A failed send is tried again later, unless it cannot succeed or has had its tries."""
        settings = self.settings
        if error.retryable and attempts < settings.dispatch_max_attempts:
            wait = backoff.delay(
                attempts,
                base=settings.dispatch_backoff_base,
                cap=settings.dispatch_backoff_max,
                floor=error.retry_after,
            )
            log.info(
                "send will be retried",
                extra={"message_id": str(message_id), "code": error.code, "in_s": round(wait, 2)},
            )
            return SendOutcome(message_id, retry_at=utcnow() + timedelta(seconds=wait))
        reason = error.reason
        if error.retryable:
            reason = f"gave up after {attempts} attempts: {reason}"
        return SendOutcome(message_id, failure_reason=reason)

    async def _submit_templates(self) -> int:
        now = utcnow()
        lease = timedelta(seconds=self.settings.dispatch_lease_seconds)
        async with self.db.tx(write=True) as tx:
            ids = await claims.claim_template_submissions(
                tx, now=now, lease=lease, limit=TEMPLATE_BATCH
            )
            await tx.commit()
        for template_id in ids:
            await self._submit_template(template_id)
        return len(ids)

    async def _submit_template(self, template_id: uuid.UUID) -> None:
        """Load, hand over with no transaction open (the call may take seconds), record."""
        async with self.db.tx(write=False) as tx:
            row = (
                await tx.session.execute(
                    select(Template, ApiAccount)
                    .join(ApiAccount, ApiAccount.id == Template.account_id)
                    .where(Template.id == template_id)
                )
            ).first()
        if row is None:
            return
        template, account = row
        submission = TemplateSubmission(
            template_id=template.id,
            account_id=account.id,
            from_number=account.phone_number,
            name=template.name,
            language=template.language,
            category=template.category,
            text=template.text,
            example=template.example,
            channel_settings=dict(account.channel_settings or {}),
        )
        provider_id: str | None = None
        rejection: str | None = None
        try:
            provider_id = await self.channels.get(account.channel).submit_template(submission)
        except (SendError, UnknownChannel) as exc:
            log.warning("template submission failed", extra={"template_id": str(template_id)})
            if isinstance(exc, SendError) and exc.retryable:
                return  # the lease on submitted_at expires and it is tried again
            rejection = str(exc)[:500]
        async with self.db.tx(write=True) as tx:
            stored = await tx.session.get(Template, template_id)
            if stored is None:
                return
            if provider_id is not None:
                stored.provider_template_id = provider_id
            elif stored.status == TemplateStatus.pending:
                stored.status = TemplateStatus.rejected
                stored.rejection_reason = rejection
            await tx.commit()

    async def maintain(self) -> None:
        """Periodic upkeep: held status reports, expired idempotency keys, templates.

        And once after start, the sandbox's reports for what it had already taken.
        """
        if not self._resumed:
            await self._resume_sandbox()
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

    async def _resume_sandbox(self) -> None:
        """Hand the in-process sandbox the messages it still owes a report.

        Its timers died with the process that set them (a crash, a restart), while
        the network it stands for kept going. Every sandbox message Sent or
        Delivered is handed over, also those another live process is reporting:
        a report made twice changes nothing the second time.
        """
        after: uuid.UUID | None = None
        resumed = 0
        while True:
            async with self.db.tx(write=False) as tx:
                page = await messages.awaiting_reports(
                    tx,
                    channel="sandbox",
                    provider_prefix=SANDBOX_PREFIX,
                    after=after,
                    limit=RESUME_PAGE,
                )
            for message in page:
                self.channels.sandbox.resume(
                    message.provider_message_id,
                    status=message.status,
                    handed_off_at=message.handed_off_at,
                )
            resumed += len(page)
            if len(page) < RESUME_PAGE:
                break
            after = page[-1].id
        self._resumed = True
        if resumed:
            log.info("sandbox reports resumed", extra={"messages": resumed})
