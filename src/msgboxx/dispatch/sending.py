"""Sending a claimed batch: to each contact in order, outcomes recorded as they come in.

The outcome is committed after the send, each only if the lease is still ours,
so a process that dies mid-batch leaves claims whose lease runs out and another
dispatcher sends them. The one window no protocol closes is a send the network
accepted just before the process died; recording every few milliseconds keeps
it to the sends of those milliseconds.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from msgboxx.channels.base import OutboundMedia, OutboundMessage, SendError
from msgboxx.channels.registry import ChannelRegistry, UnknownChannel
from msgboxx.core import backoff
from msgboxx.db import Database, utcnow
from msgboxx.dispatch import store
from msgboxx.media import service as media_service
from msgboxx.media.kinds import MediaKind
from msgboxx.media.storage import MediaStore
from msgboxx.messages import service as messages
from msgboxx.messages.service import SendOutcome
from msgboxx.observability import metrics
from msgboxx.settings import Settings

if TYPE_CHECKING:
    from msgboxx.media.models import Media

log = logging.getLogger(__name__)
_MEDIA_KINDS = frozenset(kind.value for kind in MediaKind)
RECORD_EVERY = 0.01  # seconds between outcome commits while a batch is being sent


@dataclass(frozen=True, slots=True)
class Job:
    channel: str
    message: OutboundMessage
    # Including this one: the claim counted it.
    attempts: int


# A claimed message: a send to make, or an outcome known without one (erased, no number).
Work = Job | SendOutcome


def after_failure(
    message_id: uuid.UUID, attempts: int, error: SendError, *, settings: Settings
) -> SendOutcome:
    """A failed send is tried again later, unless it cannot succeed or has had its tries."""
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


def _media_of(
    item: store.ClaimedMessage, found: Mapping[uuid.UUID, Media], media_store: MediaStore | None
) -> OutboundMedia | SendError:
    """The media a claimed message sends, with an opener on the store; or why it cannot."""
    media = found.get(item.media_id) if item.media_id is not None else None
    if media is None or media.store_key is None or media.mime_type is None:
        return SendError("the message's media is gone", code="media-missing", retryable=False)
    if media_store is None:
        return SendError("this process has no media store", code="no-media-store", retryable=False)
    content = item.content or {}
    return OutboundMedia(
        # A media message's own kind; a template's header takes the media's.
        kind=item.kind if item.kind in _MEDIA_KINDS else media.kind,
        mime_type=media.mime_type,
        size=media.size or 0,
        open=functools.partial(media_store.open, media.store_key),
        filename=content.get("filename") or media.filename,
        caption=content.get("caption"),
    )


def work_of(
    claimed: Sequence[store.ClaimedMessage],
    *,
    settings: Settings,
    media: Mapping[uuid.UUID, Media] | None = None,
    media_store: MediaStore | None = None,
) -> list[Work]:
    """What to do with each claimed message, in the order claimed."""
    work: list[Work] = []
    now = utcnow()
    for item in claimed:
        if item.text is None:  # erasure blanks the text of every message of the contact
            error = SendError("the contact was erased", code="erased", retryable=False)
            work.append(after_failure(item.message_id, item.attempts, error, settings=settings))
            continue
        if item.send_at is not None:  # scheduled: what held at accept must hold now
            refused = messages.why_not_now(
                template=item.kind == "template",
                last_inbound_at=item.last_inbound_at,
                contact_status=item.contact_status,
                now=now,
            )
            if refused is not None:
                error = SendError(refused.detail, code=refused.slug, retryable=False)
                work.append(after_failure(item.message_id, item.attempts, error, settings=settings))
                continue
        if item.to_number is None:
            error = SendError(
                "the contact has no phone number, only a WhatsApp user id;"
                " sending to user ids is not supported yet",
                code="no-number",
                retryable=False,
            )
            work.append(after_failure(item.message_id, item.attempts, error, settings=settings))
            continue
        sent_media: OutboundMedia | None = None
        if item.media_id is not None:
            found = _media_of(item, media or {}, media_store)
            if isinstance(found, SendError):
                work.append(after_failure(item.message_id, item.attempts, found, settings=settings))
                continue
            sent_media = found
        outbound = OutboundMessage(
            message_id=item.message_id,
            account_id=item.account_id,
            from_number=item.from_number,
            to_number=item.to_number,
            text=item.text,
            template_name=item.template_name,
            template_language=item.template_language,
            template_parameters=list(item.template_parameters or []),
            channel_settings=dict(item.channel_settings or {}),
            media=sent_media,
        )
        work.append(Job(item.channel, outbound, item.attempts))
    return work


class BatchSender:
    """Loads, sends and records the batches one dispatcher claimed."""

    def __init__(
        self,
        db: Database,
        channels: ChannelRegistry,
        settings: Settings,
        *,
        media_store: MediaStore | None = None,
    ) -> None:
        self.db = db
        self.channels = channels
        self.settings = settings
        self.media_store = media_store

    async def load(self, message_ids: Sequence[uuid.UUID]) -> list[Work]:
        """One read for the whole batch (two when it sends media), outside any write transaction."""
        media: Mapping[uuid.UUID, Media] = {}
        async with self.db.tx(write=False) as tx:
            claimed = await store.claimed(tx, message_ids)
            with_media = [item.media_id for item in claimed if item.media_id is not None]
            if with_media:
                media = await media_service.records(tx, with_media)
        return work_of(claimed, settings=self.settings, media=media, media_store=self.media_store)

    async def deliver(self, work: Sequence[Work], *, owner: str) -> None:
        """Send every message of the batch and record each outcome under ``owner``'s lease."""
        by_contact: dict[str, list[Work]] = defaultdict(list)
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
            await self._record_finished(finished, owner=owner)
        # Sends that finished while the last record was being written: left
        # unrecorded, their lease would expire and send them a second time.
        await self._record_finished(finished, owner=owner)
        sending.result()

    async def _record_finished(self, finished: list[SendOutcome], *, owner: str) -> None:
        if finished:
            done, finished[:] = list(finished), []
            await self._record(done, owner=owner)

    async def _send_in_order(self, queue: list[Work], finished: list[SendOutcome]) -> None:
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
        return after_failure(message.message_id, job.attempts, error, settings=self.settings)

    async def _record(self, outcomes: list[SendOutcome], *, owner: str) -> None:
        """Write every outcome of the batch in one transaction, only for our own leases."""
        async with self.db.tx(write=True) as tx:
            recorded = await messages.record_sends(tx, owner=owner, outcomes=outcomes, at=utcnow())
            await tx.commit()
        metrics.MESSAGES_SENT.inc(sum(1 for o in recorded if o.provider_message_id is not None))
        metrics.MESSAGES_FAILED.inc(sum(1 for o in recorded if o.failure_reason is not None))
