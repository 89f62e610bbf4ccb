"""The process's live feed: committed changes to this process's live viewers, from every process.

Every commit tells the feed its changes (``Database(announce=feed.publish)``);
the feed hands them at once to this process's subscribers of those accounts.
On PostgreSQL it also passes them to the other processes: after the commit, on
a connection of its own, as ``NOTIFY msgboxx_live`` (changes committed close
together share one notification), and it LISTENs on the same connection for
theirs, skipping its own (they were delivered already). The notification goes
after the commit rather than in the committing transaction: in the transaction
it would be one more round trip on every change's request (POST /message has
five); after it, a crash in between loses only a live hint, which the viewer's
next fetch makes good (docs/architecture.md, *Live changes*, has the figures).

A subscriber is never waited for: one that falls ``buffer`` changes behind is
dropped with a :class:`Reset`, as is every subscriber when the feed's
connection was lost and made again (it may have missed changes meanwhile).
Either way the viewer fetches afresh; nothing is replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from msgboxx.db.tx import Said
from msgboxx.live.changes import Change, decode, encode, payload_prefix
from msgboxx.observability import metrics

log = logging.getLogger(__name__)

CHANNEL = "msgboxx_live"
# The feed's connection's name in pg_stat_activity, followed by the process id.
APPLICATION_NAME = "msgboxx-live"
# Changes waiting for the feed's connection (lost, being made again); past it they are
# dropped, and the other processes' viewers miss them as after any lost notification.
PENDING_LIMIT = 10_000
# The least time between two notifications: the changes committed meanwhile share one.
GATHER_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class Reset:
    """The viewer may have missed changes: it fetches afresh. Always a subscription's last item.

    ``reason``: ``behind`` (it read too slowly) or ``reconnected`` (this process's
    connection to the other processes' changes was lost and made again).
    """

    reason: str


class Subscription:
    """An async iterator of one viewer's changes (its accounts' only), then perhaps a Reset."""

    __slots__ = ("_buffer", "_ended", "_items", "_ready", "accounts")

    def __init__(self, accounts: frozenset[uuid.UUID], buffer: int) -> None:
        self.accounts = accounts
        self._buffer = buffer
        self._items: deque[Change | Reset] = deque()
        self._ready = asyncio.Event()
        self._ended = False

    def offer(self, change: Change) -> bool:
        """Queue ``change``; False when the viewer is ``buffer`` behind (the feed drops it)."""
        if len(self._items) >= self._buffer:
            return False
        self._items.append(change)
        self._ready.set()
        return True

    def end(self, reset: Reset | None) -> None:
        """No more changes: what is queued is dropped for ``reset`` if given, else still read."""
        if reset is not None:
            self._items.clear()
            self._items.append(reset)
        self._ended = True
        self._ready.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Change | Reset:
        while not self._items:
            if self._ended:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


class Feed:
    """One per process (``wiring.open_live``): fan-out here, and on PostgreSQL across processes.

    ``listen`` False for a process with no viewers (``msgboxx worker``): it only
    tells the others.
    """

    def __init__(
        self,
        database_url: str,
        *,
        listen: bool = True,
        buffer: int = 1000,
        retry_every: float = 1.0,
    ) -> None:
        self.origin = uuid.uuid4().hex[:16]  # tells this process's notifications from others'
        self._own = payload_prefix(self.origin)
        self._url = None if database_url.startswith("sqlite") else database_url
        self._listen = listen
        self._buffer = buffer
        self._retry_every = retry_every
        self._viewers: dict[uuid.UUID, set[Subscription]] = {}
        self._pending: list[Change] = []
        self._stir = asyncio.Event()  # changes to send, or the connection was lost
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._dropping = False

    # -- this process ---------------------------------------------------------------

    def publish(self, said: list[Said]) -> None:
        """A commit's changes: to this process's viewers now, to the others' next."""
        changes = [Change.of(one) for one in said]
        if self._viewers:
            self._deliver(changes)
        if self._task is not None:
            if len(self._pending) + len(changes) > PENDING_LIMIT:
                if not self._dropping:  # once until the connection catches up
                    log.warning("live changes dropped: the feed's connection is behind")
                    self._dropping = True
                return
            self._dropping = False
            self._pending.extend(changes)
            self._stir.set()

    @contextlib.asynccontextmanager
    async def subscribe(self, account_ids: frozenset[uuid.UUID]) -> AsyncIterator[Subscription]:
        """The changes of ``account_ids`` committed from now on, by any process.

        The caller passes the accounts its viewer may see
        (``accounts.service.visible_ids``): no change of another account is delivered.
        """
        viewer = Subscription(account_ids, self._buffer)
        if self._closing:
            viewer.end(None)
        else:
            for account_id in account_ids:
                self._viewers.setdefault(account_id, set()).add(viewer)
        metrics.LIVE_VIEWERS.inc()
        try:
            yield viewer
        finally:
            metrics.LIVE_VIEWERS.dec()
            self._forget(viewer)

    def end_all(self) -> None:
        """End every subscription, and any made later: the server is stopping."""
        self._closing = True
        for viewer in self._every_viewer():
            viewer.end(None)
        self._viewers.clear()

    @property
    def viewers(self) -> int:
        """Subscriptions open in this process."""
        return len(self._every_viewer())

    def _deliver(self, changes: list[Change]) -> None:
        for change in changes:
            viewers = self._viewers.get(change.account_id)
            if not viewers:
                continue
            behind = [viewer for viewer in viewers if not viewer.offer(change)]
            for viewer in behind:
                metrics.LIVE_RESETS.labels("behind").inc()
                viewer.end(Reset("behind"))
                self._forget(viewer)

    def _forget(self, viewer: Subscription) -> None:
        for account_id in viewer.accounts:
            viewers = self._viewers.get(account_id)
            if viewers is not None:
                viewers.discard(viewer)
                if not viewers:
                    del self._viewers[account_id]

    def _reset_all(self, reason: str) -> None:
        for viewer in self._every_viewer():
            metrics.LIVE_RESETS.labels(reason).inc()
            viewer.end(Reset(reason))
        self._viewers.clear()

    def _every_viewer(self) -> set[Subscription]:
        """Each subscription once (one following several accounts is under each)."""
        return {viewer for viewers in self._viewers.values() for viewer in viewers}

    # -- the other processes (PostgreSQL) ----------------------------------------------

    async def start(self, *, ready_within: float = 5.0) -> None:
        """Connect (PostgreSQL), waiting up to ``ready_within`` for it; never fatal."""
        if self._url is None:
            return
        self._task = asyncio.create_task(self._run(self._url), name="live-feed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), ready_within)

    async def aclose(self) -> None:
        self.end_all()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload.startswith(self._own) or not self._viewers:
            return  # this process's own (delivered at its commit), or no one to tell
        try:
            origin, changes = decode(payload)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("a live notification could not be read", extra={"error": str(exc)})
            return
        if origin != self.origin:
            self._deliver(changes)

    async def _run(self, url: str) -> None:
        """Keep the connection: send what commits publish, hear the others; re-made when lost."""
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        name = f"{APPLICATION_NAME} {os.getpid()}"  # which process, in pg_stat_activity
        first = True
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(dsn, server_settings={"application_name": name})
                connection.add_termination_listener(lambda _connection: self._stir.set())
                if self._listen:
                    await connection.add_listener(CHANNEL, self._notified)
                if not first:
                    log.info("live feed connection made again")
                    self._reset_all("reconnected")
                first = False
                self._connected.set()
                loop = asyncio.get_running_loop()
                sent_at = -GATHER_SECONDS
                while not connection.is_closed():
                    await self._stir.wait()
                    # At most one notification per GATHER_SECONDS: commits close together
                    # share one (a round trip each would cost more than the rest of the
                    # feed), while a change after a quiet spell goes at once.
                    wait = sent_at + GATHER_SECONDS - loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    self._stir.clear()
                    await self._send(connection)
                    sent_at = loop.time()
                log.warning("live feed connection lost")
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("live feed connection lost", extra={"error": str(exc)})
            finally:
                self._connected.clear()
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=1)
            await asyncio.sleep(self._retry_every)

    async def _send(self, connection: Any) -> None:
        while self._pending and not connection.is_closed():
            changes, self._pending = self._pending, []
            for payload in encode(self.origin, changes):
                await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
                metrics.LIVE_NOTIFICATIONS.inc()
            metrics.LIVE_CHANGES_SENT.inc(len(changes))
