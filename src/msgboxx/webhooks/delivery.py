"""The webhook sender: claims subscriptions with due deliveries and posts them.

Runs beside the message dispatcher (in ``msgboxx serve`` and ``msgboxx worker``),
never on the request path. The unit of work is a subscription, claimed with a
lease like ``dispatch.claims``: one sender at a time works a subscription, in
the order its events happened, while other subscriptions run concurrently in
their own tasks, so a slow receiver only ever delays itself. A failed attempt
is recorded, with the successful ones before it, before anything else of its
subscription goes; a run of successful attempts is recorded in one transaction
at the latest a second after its first (one transaction per attempt cost more
than the POST). A sender that dies leaves a lease that runs out, and the
deliveries it had not recorded are sent again (at least once, still in order).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import yarl

from msgboxx import __version__
from msgboxx.core import backoff
from msgboxx.core.errors import ProblemError
from msgboxx.core.loop import RoundLoop
from msgboxx.db import Database, utcnow
from msgboxx.settings import Settings
from msgboxx.webhooks import signing, store, targets
from msgboxx.webhooks.models import DeliveryStatus

log = logging.getLogger(__name__)

# A receiver's answer is read up to this much (bytes); its body means nothing to us.
ANSWER_READ_LIMIT = 64 * 1024
# 2xx attempts are written together, at the latest this long after the first of them.
RECORD_AFTER = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one POST to a receiver came to."""

    status_code: int | None
    latency_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """410 Gone: the REST-hook way for a receiver to unsubscribe itself."""
        return self.status_code == 410


def outcome(
    attempt: Attempt, *, attempts: int, age: timedelta, settings: Settings
) -> tuple[DeliveryStatus | None, timedelta | None]:
    """A delivery's new status after an attempt (None: still pending), and how long
    its subscription backs off before trying it again (None: the next may go now).

    A failing delivery holds its subscription's line (events arrive in order),
    retried with backoff, until its event is older than the retry window; then it
    is given up and the line moves on.
    """
    if attempt.ok:
        return DeliveryStatus.delivered, None
    if age >= timedelta(seconds=settings.webhook_retry_window_seconds):
        return DeliveryStatus.failed, None
    wait = backoff.delay(
        attempts, base=settings.webhook_backoff_base, cap=settings.webhook_backoff_max
    )
    return None, timedelta(seconds=wait)


class WebhookSender(RoundLoop):
    name = "webhooks"

    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self._client: aiohttp.ClientSession | None = None  # made inside the running loop
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}

    def _session(self) -> aiohttp.ClientSession:
        """The sender's one client: kept-alive connections, at most one per task at once.

        aiohttp rather than httpx, as for the Graph API (channels/cloud_api): under
        ten subscriptions httpx's connection pool was half of the sender's CPU.
        """
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=max(1, self.settings.webhook_concurrency)),
                # Each attempt's time is bounded as a whole in ``attempt``.
                timeout=aiohttp.ClientTimeout(total=None),
                # No proxy from the environment: a proxy resolves the name again itself,
                # so the request would no longer go to the address that was checked.
                trust_env=False,
                auto_decompress=False,
                headers={
                    "content-type": "application/json",
                    "user-agent": f"msgboxx-webhooks/{__version__}",
                },
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()

    def idle_seconds(self) -> float:
        return self.settings.webhook_poll_interval

    async def run(self) -> None:
        log.info("webhook sender started", extra={"owner": self.owner})
        try:
            await self.rounds()
        finally:
            await self._drain()
            await self.aclose()

    async def run_once(self) -> int:
        """Claim as many subscriptions as there are free slots; each runs in its own task."""
        free = self.settings.webhook_concurrency - len(self._tasks)
        if free <= 0:
            return 0
        lease = timedelta(seconds=self.settings.webhook_lease_seconds)
        async with self.db.tx(write=True) as tx:
            ids = await store.claim(tx, owner=self.owner, now=utcnow(), lease=lease, limit=free)
            await tx.commit()
        for subscription_id in ids:
            task = asyncio.create_task(
                self._work(subscription_id), name=f"webhook:{subscription_id}"
            )
            self._tasks[subscription_id] = task
            task.add_done_callback(functools.partial(self._finished, subscription_id))
        return len(ids)

    def _finished(self, subscription_id: uuid.UUID, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(subscription_id, None)
        self._wake.set()  # its subscription may have more, and a slot is free

    async def _drain(self) -> None:
        """On stop: let attempts in flight end within their timeout, then give up."""
        if not self._tasks:
            return
        tasks = list(self._tasks.values())
        _done, still = await asyncio.wait(tasks, timeout=self.settings.webhook_timeout_seconds + 1)
        for task in still:
            task.cancel()
        await asyncio.gather(*still, return_exceptions=True)

    async def _work(self, subscription_id: uuid.UUID) -> None:
        """Send a subscription's pending deliveries in order, until one fails."""
        try:
            await self._deliver_in_order(subscription_id)
        except Exception:
            log.exception(
                "webhook delivery failed", extra={"subscription_id": str(subscription_id)}
            )
        finally:
            async with self.db.tx(write=True) as tx:
                await store.release(tx, subscription_id, owner=self.owner)
                await tx.commit()

    async def _deliver_in_order(self, subscription_id: uuid.UUID) -> None:
        started = time.monotonic()
        budget = self.settings.webhook_lease_seconds / 2
        async with self.db.tx(write=False) as tx:
            found = await store.pending(tx, subscription_id, limit=self.settings.webhook_batch_size)
        if found is None:
            return
        target, secret, rows = found
        # 2xx attempts not yet written: a run of them is written in one transaction
        # (one per attempt cost more than the POST), at the latest after
        # RECORD_AFTER_SECONDS and always before a failure or the next claim. A
        # sender that dies first sends them again: still at least once, in order.
        delivered: list[store.Delivered] = []
        for delivery_id, event_id, body in rows:
            if self._stopping or time.monotonic() - started > budget:
                break  # the lease must outlive the work; the rest goes next round
            attempt = await self.attempt(target, secret=secret, event_id=event_id, body=body)
            if not attempt.ok:
                await self._record(subscription_id, delivery_id, attempt, delivered=delivered)
                return
            assert attempt.status_code is not None  # ok means a 2xx
            delivered.append(
                store.Delivered(delivery_id, utcnow(), attempt.status_code, attempt.latency_ms)
            )
            if delivered[-1].at - delivered[0].at >= RECORD_AFTER:
                if not await self._record_delivered(subscription_id, delivered):
                    return
                delivered = []
        await self._record_delivered(subscription_id, delivered)

    async def attempt(self, target: str, *, secret: str, event_id: str, body: str) -> Attempt:
        """POST one signed event; never raises, whatever the receiver does."""
        content = body.encode()
        limit = self.settings.webhook_timeout_seconds
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(limit):
                resolved = await targets.resolve(
                    target, allow_private=self.settings.webhook_allow_private
                )
                headers = signing.headers(secret=secret, message_id=event_id, body=content)
                status_code = await self._post(resolved, content=content, headers=headers)
        except ProblemError as exc:
            error = f"refused: {exc.detail}"
        except TimeoutError:
            error = f"no answer within {limit:g}s"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        latency_ms = round((time.perf_counter() - started) * 1000)
        if status_code is not None and not 200 <= status_code < 300:
            error = f"the receiver answered HTTP {status_code}"
        return Attempt(status_code, latency_ms, error[:500] if error else None)

    async def _post(
        self, target: targets.Resolved, *, content: bytes, headers: dict[str, str]
    ) -> int:
        """POST to the addresses that were checked, in turn until one takes the connection.

        Never to the name itself: resolved again, it could lead somewhere else.
        """
        session = self._session()
        for n, address in enumerate(target.addresses, start=1):
            url, host, extensions = target.via(address)
            try:
                async with session.post(
                    yarl.URL(str(url), encoded=True),
                    data=content,
                    headers=headers | host,
                    allow_redirects=False,
                    # TLS (SNI and the certificate's name) for the host the customer gave.
                    server_hostname=extensions.get("sni_hostname"),
                ) as reply:
                    # Read the answer to its end, so that the connection goes back to
                    # the pool for the next delivery (closed unread, it is dropped and
                    # every POST paid a new connection); beyond a little, stop reading.
                    read = 0
                    async for chunk in reply.content.iter_any():
                        read += len(chunk)
                        if read > ANSWER_READ_LIMIT:
                            break
                    return reply.status
            except aiohttp.ClientConnectorError:
                if n == len(target.addresses):
                    raise
        raise aiohttp.ClientConnectionError(f"{target.url.host} has no address")

    async def _record_delivered(
        self, subscription_id: uuid.UUID, delivered: list[store.Delivered]
    ) -> bool:
        """Write a run of 2xx attempts; True when the next may go."""
        if not delivered:
            return True
        async with self.db.tx(write=True) as tx:
            subscription = await store.subscription(tx, subscription_id)
            if subscription is None:
                return False  # unsubscribed meanwhile: its deliveries went with it
            await store.record_delivered(tx, subscription, delivered)
            # Our lease ran out and another sender has it: it sends the next.
            ours = subscription.lease_owner == self.owner
            await tx.commit()
            return ours

    async def _record(
        self,
        subscription_id: uuid.UUID,
        delivery_id: uuid.UUID,
        attempt: Attempt,
        *,
        delivered: list[store.Delivered],
    ) -> None:
        """Write a failed attempt, after the 2xx ones before it, and what follows from it."""
        now = utcnow()
        async with self.db.tx(write=True) as tx:
            found = await store.attempted(
                tx, subscription_id=subscription_id, delivery_id=delivery_id
            )
            if found is None:
                return  # unsubscribed meanwhile
            subscription, delivery = found
            if attempt.gone:
                log.info(
                    "receiver answered 410: unsubscribed",
                    extra={"subscription_id": str(subscription_id)},
                )
                await store.delete(tx, subscription)  # its deliveries and attempts go with it
                await tx.commit()
                return
            await store.record_delivered(tx, subscription, delivered)
            status, retry_at = outcome(
                attempt,
                attempts=delivery.attempt_count + 1,
                age=now - delivery.created_at,
                settings=self.settings,
            )
            await store.record_attempt(
                tx,
                subscription,
                delivery,
                at=now,
                status_code=attempt.status_code,
                latency_ms=attempt.latency_ms,
                error=attempt.error,
                status=status,
                retry_at=None if retry_at is None else now + retry_at,
            )
            await tx.commit()
