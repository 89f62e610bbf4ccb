"""``Tx``: one unit of work, and everything its commit must do besides committing.

A change does three things beyond its rows: it announces events (written to the
webhook outbox in the same transaction, so an event exists exactly when its
change does), it may leave work for a background loop in this process (a
message to send, a delivery to make), and on the hot paths it may already know
that nobody listens to an account (so its events need not be written at all).
Each is a field here, set by a service and acted on by :meth:`Tx.commit`; no
other state rides along with a session.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from msgboxx.core.events import Event, EventType
from msgboxx.core.wire import ApiModel
from msgboxx.db.base import utcnow
from msgboxx.db.revocations import Revocations

if TYPE_CHECKING:
    from msgboxx.db.prepared import Held


class Work(enum.Enum):
    """Work a commit leaves for a background loop of this process, which it wakes."""

    outbound = "outbound"  # a message to send: the dispatcher
    webhooks = "webhooks"  # a delivery to make: the webhook sender
    media = "media"  # a customer's media to fetch: the media fetcher
    campaigns = "campaigns"  # a campaign to start, resume or stop: the campaign runner


# Writes a committing transaction's events to the outbox (the webhooks domain's).
Outbox = Callable[["Tx", Sequence[Event]], Awaitable[None]]

# One announced change as emitted, kept for live viewers: (account, type, data, at).
Said = tuple[uuid.UUID, EventType, ApiModel, datetime]
# Told a committed transaction's changes, every one (heard by webhooks or not); never awaited.
Announce = Callable[[list[Said]], None]


class Tx:
    """A session and what its commit announces and wakes; for one request or one step."""

    __slots__ = (
        "_after",
        "_announce",
        "_events",
        "_held",
        "_outbox",
        "_revocations",
        "_said",
        "_unheard",
        "_wake",
        "_work",
        "session",
    )

    def __init__(
        self,
        session: AsyncSession,
        *,
        outbox: Outbox | None,
        wake: Callable[[Work], None],
        announce: Announce | None = None,
        revocations: Revocations | None = None,
    ) -> None:
        # For the stores: a service never touches it (tests/test_layers.py).
        self.session = session
        self._outbox = outbox
        self._wake = wake
        self._events: list[Event] = []
        # Every change emitted, for live viewers, who are no webhook subscribers.
        self._announce = announce
        self._said: list[Said] = []
        self._unheard: set[uuid.UUID] = set()
        self._work: set[Work] = set()
        # What must happen outside the database once the change is committed.
        self._after: list[Callable[[], Awaitable[None]]] = []
        # The SQLite connection this transaction holds (msgboxx.db.prepared).
        self._held: Held | None = None
        self._revocations = revocations

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``: where a statement must be written for one."""
        return self.session.get_bind().dialect.name

    def emit(self, *, account_id: uuid.UUID, event_type: EventType, data: ApiModel) -> None:
        """Announce a change; it is delivered if and when this unit of work commits.

        ``data`` is the resource as the API shows it, taken now, so each
        transition reports the state it produced.
        """
        at = utcnow()
        if self._announce is not None:
            self._said.append((account_id, event_type, data, at))
        if account_id in self._unheard:
            return  # this transaction read that no one listens to the account
        if self._events and at <= self._events[-1].at:
            at = self._events[-1].at + timedelta(microseconds=1)  # events keep their order
        self._events.append(Event("evt_" + uuid.uuid4().hex, account_id, event_type, data, at))

    def unheard(self, account_ids: Iterable[uuid.UUID]) -> None:
        """This transaction read that no subscription covers these accounts.

        Their events are dropped at :meth:`emit`, and a commit with nothing else
        to announce makes no subscription lookup. The read and the commit are one
        transaction, so a subscription is heard from the first change committed
        after it, as with the lookup.
        """
        self._unheard.update(account_ids)

    def leaves(self, work: Work) -> None:
        """The commit leaves ``work`` for this process's background loop: wake it then."""
        self._work.add(work)

    def after_commit(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` once this unit of work has committed (never if it rolls back).

        For what lives outside the database and must follow the rows, such as
        erasing media bytes after their records are gone: the job handles its
        own failures (a commit that already happened cannot be undone).
        """
        self._after.append(job)

    def revokes_access(self) -> None:
        """This change takes access away (a user disabled): once committed, caches forget.

        Every process's cache of callers sees it by its next request
        (:mod:`msgboxx.db.revocations`); where there is no such signal there is no cache.
        """
        signal = self._revocations
        if signal is None:
            return

        async def raise_count() -> None:
            signal.raise_count()

        self.after_commit(raise_count)

    async def flush(self) -> None:
        await self.session.flush()

    async def commit(self) -> None:
        """Write the events to the outbox, commit, then wake the loops left work.

        Then every change emitted (heard by a webhook subscriber or not) is
        announced to live viewers; a rollback announces nothing.
        """
        events, self._events = self._events, []
        self._unheard.clear()
        if events:
            if self._outbox is None:
                raise RuntimeError("this database was opened without a webhook outbox")
            await self._outbox(self, events)
        await self.session.commit()
        self._held = None
        work, self._work = self._work, set()
        for item in work:
            self._wake(item)
        if self._said and self._announce is not None:
            said, self._said = self._said, []
            self._announce(said)
        if self._after:  # rare (an erasure): no list is made on the hot paths
            jobs, self._after = self._after, []
            for job in jobs:
                await job()

    async def rollback(self) -> None:
        """A change that did not happen announces nothing and wakes no one."""
        self._forget()
        await self.session.rollback()

    def _forget(self) -> None:
        self._events.clear()
        self._said.clear()
        self._unheard.clear()
        self._work.clear()
        self._after.clear()
        self._held = None

    async def close(self) -> None:
        self._forget()
        await self.session.close()

    async def __aenter__(self) -> Tx:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
