"""The background fetch of customers' media: claim, download, check, store, record.

Runs beside the dispatcher (``wiring.run_background``: in ``msgboxx serve`` and
``msgboxx worker``). Each due ``pending`` record is leased (``fetch_store``) so
that one process fetches it, downloaded through its account's channel
(a :class:`~msgboxx.channels.base.MediaSource`) straight into the media store,
and checked on the way: the sha256 the network promised, and what WhatsApp
takes of the kind (``kinds.check_content``). Meta's download URLs last minutes,
so the first attempt goes as soon as the commit that recorded the media wakes
this loop, and retries follow within seconds to minutes; after
``media_fetch_max_attempts`` the record is ``failed`` with the reason. The
message is never touched but to announce the outcome (``message.media``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

from msgboxx.accounts import service as accounts
from msgboxx.channels.base import FetchedMedia, MediaFetchError, MediaSource
from msgboxx.core import backoff
from msgboxx.core.loop import RoundLoop
from msgboxx.db import Database, utcnow
from msgboxx.db.tx import Tx
from msgboxx.media import fetch_store
from msgboxx.media.errors import MediaTooLarge, UnsupportedMediaType
from msgboxx.media.fetch_store import Claimed
from msgboxx.media.inbound import key_of
from msgboxx.media.kinds import SNIFF_BYTES, MediaKind, check_content
from msgboxx.media.storage import MediaStore, StoredMedia
from msgboxx.messages import service as messages
from msgboxx.settings import Settings

log = logging.getLogger(__name__)

# The channel's media source by channel name (``ChannelRegistry.media_source``).
Sources = Callable[[str], MediaSource | None]


class _Failed(Exception):
    """An attempt that did not store the media; ``retryable`` says whether to try again."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class _Stored:
    stored: StoredMedia
    mime_type: str


class MediaFetcher(RoundLoop):
    name = "media"

    def __init__(
        self, db: Database, settings: Settings, *, media_store: MediaStore, sources: Sources
    ) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.store = media_store
        self.sources = sources
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}

    def idle_seconds(self) -> float:
        return self.settings.media_fetch_poll_interval

    async def run(self) -> None:
        try:
            await self.rounds()
        finally:
            await self._drain()

    async def run_once(self) -> int:
        """Claim as many due media as there are free slots; each is fetched in its own task."""
        free = self.settings.media_fetch_concurrency - len(self._tasks)
        if free <= 0:
            return 0
        now = utcnow()
        lease_until = now + timedelta(seconds=self.settings.media_fetch_lease_seconds)
        async with self.db.tx(write=True) as tx:
            claimed = await fetch_store.claim(tx, now=now, lease_until=lease_until, limit=free)
            await tx.commit()
        for item in claimed:
            task = asyncio.create_task(self._fetch(item), name=f"media:{item.id}")
            self._tasks[item.id] = task
            task.add_done_callback(functools.partial(self._finished, item.id))
        return len(claimed)

    def again_at_once(self, found: int) -> bool:
        return found > 0 and len(self._tasks) < self.settings.media_fetch_concurrency

    def _finished(self, media_id: uuid.UUID, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(media_id, None)
        self._wake.set()  # a slot is free

    async def _drain(self) -> None:
        """On stop: give downloads in flight a moment, then leave them to their lease."""
        if self._tasks:
            _done, still = await asyncio.wait(list(self._tasks.values()), timeout=5.0)
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)

    async def _fetch(self, claimed: Claimed) -> None:
        try:
            await self._attempt(claimed)
        except asyncio.CancelledError:
            raise
        except Exception:  # not even recorded: the lease runs out and another attempt follows
            log.exception("recording a media fetch failed", extra={"media_id": str(claimed.id)})

    async def _attempt(self, claimed: Claimed) -> None:
        try:
            done = await self._download(claimed)
        except _Failed as failed:
            await self._record_failure(claimed, failed)
            return
        except Exception as exc:  # the store, or a bug: worth another try, never lost
            log.exception("fetching media failed", extra={"media_id": str(claimed.id)})
            await self._record_failure(claimed, _Failed(_describe(exc), retryable=True))
            return
        await self._record_stored(claimed, done)

    async def _download(self, claimed: Claimed) -> _Stored:
        if claimed.contact_id is None or claimed.account_id is None:
            raise _Failed("the media's contact or number is gone", retryable=False)
        if not claimed.provider_media_id:
            raise _Failed("the network gave no media id", retryable=False)
        async with self.db.tx(write=False) as tx:
            account = await accounts.find_by_id(tx, claimed.account_id)
        if account is None:
            raise _Failed("the number the media came to is gone", retryable=False)
        source = self.sources(account.channel)
        if source is None:
            raise _Failed(f"the {account.channel} channel hands over no media", retryable=False)
        key = key_of(
            organisation_id=claimed.organisation_id,
            contact_id=claimed.contact_id,
            media_id=claimed.id,
        )
        try:
            async with source.fetch_media(
                account.channel_settings, claimed.provider_media_id
            ) as fetched:
                done = await self._store(claimed, key, fetched)
        except MediaFetchError as exc:
            raise _Failed(exc.reason, retryable=exc.retryable) from exc
        promised = [p for p in (claimed.provider_sha256, fetched.sha256) if p]
        if any(_digest(p) not in (None, bytes.fromhex(done.stored.sha256)) for p in promised):
            await self.store.delete(key)
            raise _Failed("the download's sha256 is not the one WhatsApp gave", retryable=True)
        return done

    async def _store(self, claimed: Claimed, key: str, fetched: FetchedMedia) -> _Stored:
        """Check the first bytes against the kind, then stream them all into the store."""
        chunks = aiter(fetched.chunks)
        head = b""
        async for chunk in chunks:
            head += chunk
            if len(head) >= SNIFF_BYTES:
                break
        try:
            checked = check_content(
                head[:SNIFF_BYTES],
                kind=MediaKind(claimed.kind),
                size=fetched.size,
                declared_type=fetched.mime_type or claimed.mime_type,
                filename=claimed.filename,
            )
            stored = await self.store.put(
                key,
                _prepend(head, chunks),
                content_type=checked.mime_type,
                max_bytes=checked.max_bytes,
            )
        except (UnsupportedMediaType, MediaTooLarge) as exc:
            raise _Failed(exc.detail, retryable=False) from exc
        return _Stored(stored, checked.mime_type)

    async def _record_stored(self, claimed: Claimed, done: _Stored) -> None:
        async with self.db.tx(write=True) as tx:
            recorded = await fetch_store.mark_stored(
                tx,
                claimed,
                size=done.stored.size,
                sha256=done.stored.sha256,
                mime_type=done.mime_type,
                store_key=done.stored.key,
            )
            gone = not recorded and not await fetch_store.exists(tx, claimed.id)
            if recorded:
                await self._announce(tx, claimed.id)
            await tx.commit()
        if gone:  # erased while it downloaded: the bytes must not outlive the record
            await self.store.delete(done.stored.key)
        log.info(
            "media stored" if recorded else "media stored by a lease no longer ours",
            extra={"media_id": str(claimed.id), "size": done.stored.size},
        )

    async def _record_failure(self, claimed: Claimed, failed: _Failed) -> None:
        settings = self.settings
        final = not failed.retryable or claimed.attempts >= settings.media_fetch_max_attempts
        async with self.db.tx(write=True) as tx:
            if final:
                if await fetch_store.mark_failed(tx, claimed, reason=failed.reason):
                    await self._announce(tx, claimed.id)
            else:
                wait = backoff.delay(
                    claimed.attempts,
                    base=settings.media_fetch_backoff_base,
                    cap=settings.media_fetch_backoff_max,
                )
                at = utcnow() + timedelta(seconds=wait)
                await fetch_store.retry_at(tx, claimed, at=at, reason=failed.reason)
            await tx.commit()
        log.warning(
            "media fetch failed" if final else "media fetch failed; will retry",
            extra={
                "media_id": str(claimed.id),
                "attempt": claimed.attempts,
                "reason": failed.reason,
            },
        )

    async def _announce(self, tx: Tx, media_id: uuid.UUID) -> None:
        media = await fetch_store.get(tx, media_id)
        if media is not None:
            await messages.announce_media(tx, media=media)


async def _prepend(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if head:
        yield head
    async for chunk in rest:
        yield chunk


_HEX = re.compile(r"[0-9a-fA-F]{64}")


def _digest(promised: str) -> bytes | None:
    """A sha256 as the network wrote it: hex (``GET /{media-id}``) or base64 (webhooks).

    None when it is neither: then it cannot be checked, and is not.
    """
    value = promised.strip()
    if _HEX.fullmatch(value):
        return bytes.fromhex(value)
    padded = value + "=" * (-len(value) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decode(padded)
        except (binascii.Error, ValueError):
            continue
        if len(raw) == 32:
            return raw
    return None


def _describe(exc: Exception) -> str:
    detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
    return f"could not store the media: {detail}"[:500]
