"""The composition root: what a process opens and runs, wired once for every shape.

The server (``msgboxx serve``, with or without dispatching) and ``msgboxx
worker`` open the same database, the same channels and the same background
work here; the domains never wire themselves to each other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from msgboxx import intake
from msgboxx.campaigns.runner import CampaignRunner
from msgboxx.channels.base import ChannelEvent
from msgboxx.channels.registry import ChannelRegistry
from msgboxx.db import Database, Work
from msgboxx.dispatch.dispatcher import Dispatcher
from msgboxx.live.feed import Feed
from msgboxx.media import storage
from msgboxx.media.fetching import MediaFetcher
from msgboxx.media.storage import MediaStore
from msgboxx.settings import Settings
from msgboxx.webhooks import outbox
from msgboxx.webhooks.delivery import WebhookSender


def open_live(settings: Settings, *, listen: bool = True) -> Feed:
    """The process's live feed; ``listen`` False where no viewer is served (a worker)."""
    return Feed(settings.resolved_database_url, listen=listen, buffer=settings.live_buffer)


def open_database(settings: Settings, *, live: Feed | None = None) -> Database:
    """The process's database: its units of work write their events to the webhook outbox,
    and tell ``live`` (when given and not turned off) every change they commit."""
    announce = live.publish if live is not None and settings.live else None
    return Database(settings, outbox=outbox.write, announce=announce)


def open_media_store(settings: Settings) -> MediaStore:
    """The process's one media store (a folder, or S3), shared by the API and the dispatcher."""
    return storage.open_media_store(settings)


def open_channels(db: Database, settings: Settings) -> ChannelRegistry:
    """The channels, each reporting what the network tells it through the intake."""

    async def report(events: Sequence[ChannelEvent]) -> object:
        return await intake.apply_batch(db, events)

    return ChannelRegistry(settings, report=report)


class Background:
    """The dispatcher, the campaign runner, the webhook sender and the media fetch of one
    process, woken by commits.
    """

    def __init__(
        self,
        db: Database,
        channels: ChannelRegistry,
        settings: Settings,
        media_store: MediaStore,
    ) -> None:
        self.dispatcher = Dispatcher(db, channels, settings, media_store=media_store)
        self.sender = WebhookSender(db, settings)
        # The fetch of customers' media; the store is the caller's to open and close.
        self.media = MediaFetcher(
            db, settings, media_store=media_store, sources=channels.media_source
        )
        db.on_committed(Work.outbound, self.dispatcher.wake)
        db.on_committed(Work.webhooks, self.sender.wake)
        db.on_committed(Work.media, self.media.wake)
        self.campaigns = CampaignRunner(db, settings)
        db.on_committed(Work.campaigns, self.campaigns.wake)
        self._settings = settings
        self._dispatching: asyncio.Task[None] | None = None
        self._delivering: asyncio.Task[None] | None = None
        self._fetching: asyncio.Task[None] | None = None
        self._campaigning: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._dispatching = asyncio.create_task(self.dispatcher.run(), name="dispatcher")
        self._delivering = asyncio.create_task(self.sender.run(), name="webhook-sender")
        self._fetching = asyncio.create_task(self.media.run(), name="media-fetcher")
        self._campaigning = asyncio.create_task(self.campaigns.run(), name="campaign-runner")

    def stop(self) -> None:
        """Ask the loops to finish what they hold and end."""
        self.dispatcher.stop()
        self.sender.stop()
        self.media.stop()
        self.campaigns.stop()

    async def finished(self) -> None:
        """Until the loops have ended (after :meth:`stop`, or by an error)."""
        loops = (self._dispatching, self._delivering, self._fetching, self._campaigning)
        tasks = [t for t in loops if t is not None]
        await asyncio.gather(*tasks)

    async def close(self) -> None:
        """Stop, and wait for what is in flight: sends up to 10 s, a delivery up to its timeout."""
        self.stop()
        waits = (
            (self._dispatching, 10.0),
            (self._delivering, self._settings.webhook_timeout_seconds + 5),
            (self._fetching, 10.0),
            (self._campaigning, 10.0),
        )
        for task, timeout in waits:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=timeout)


@contextlib.asynccontextmanager
async def run_background(
    db: Database, channels: ChannelRegistry, settings: Settings, media_store: MediaStore
) -> AsyncIterator[Background]:
    """Run the process's background work for the duration of the block."""
    background = Background(db, channels, settings, media_store)
    background.start()
    try:
        yield background
    finally:
        await background.close()
