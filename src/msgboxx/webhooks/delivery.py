"""The webhook sender: claims subscriptions with due deliveries and posts them.

Runs beside the message dispatcher (in ``msgboxx serve`` and ``msgboxx worker``),
never on the request path. The unit of work is a subscription, claimed with a
lease like ``dispatch.claims``: one sender at a time works a subscription, in
the order its events happened, while other subscriptions run concurrently in
their own tasks, so a slow receiver only ever delays itself. Every attempt is
recorded in its own transaction before the next one starts; a sender that dies
leaves a lease that runs out, and the delivery is sent again (at least once).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import literal_column, or_, select, update

from msgboxx import __version__
from msgboxx.core.errors import ProblemError
from msgboxx.db import Database, utcnow
from msgboxx.db.tx import Tx
from msgboxx.dispatch import backoff
from msgboxx.dispatch.loop import RoundLoop
from msgboxx.settings import Settings
from msgboxx.webhooks import signing, targets
from msgboxx.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

log = logging.getLogger(__name__)
# Inline, not a bound parameter, so SQLite can use the partial index of pending rows.
_IS_PENDING = WebhookDelivery.status == literal_column("'Pending'")


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


async def claim_subscriptions(
    tx: Tx, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    """Subscriptions with a pending delivery, not backing off and not leased."""
    has_pending = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.subscription_id == WebhookSubscription.id, _IS_PENDING)
        .exists()
    )
    due = (
        select(WebhookSubscription.id)
        .where(
            or_(WebhookSubscription.retry_at.is_(None), WebhookSubscription.retry_at <= now),
            or_(
                WebhookSubscription.lease_until.is_(None),
                WebhookSubscription.lease_until < now,
            ),
            has_pending,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await tx.session.scalars(
        update(WebhookSubscription)
        .where(WebhookSubscription.id.in_(due.scalar_subquery()))
        .values(lease_until=now + lease, lease_owner=owner)
        .returning(WebhookSubscription.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed)


class WebhookSender(RoundLoop):
    name = "webhooks"

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            # No proxy from the environment: a proxy resolves the name again itself,
            # so the request would no longer go to the address that was checked.
            trust_env=False,
            timeout=httpx.Timeout(settings.webhook_timeout_seconds),
            headers={
                "content-type": "application/json",
                "user-agent": f"msgboxx-webhooks/{__version__}",
            },
        )
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}

    def idle_seconds(self) -> float:
        return self.settings.webhook_poll_interval

    async def run(self) -> None:
        log.info("webhook sender started", extra={"owner": self.owner})
        try:
            await self.rounds()
        finally:
            await self._drain()
            await self._client.aclose()

    async def run_once(self) -> int:
        """Claim as many subscriptions as there are free slots; each runs in its own task."""
        free = self.settings.webhook_concurrency - len(self._tasks)
        if free <= 0:
            return 0
        lease = timedelta(seconds=self.settings.webhook_lease_seconds)
        async with self.db.tx(write=True) as tx:
            ids = await claim_subscriptions(
                tx, owner=self.owner, now=utcnow(), lease=lease, limit=free
            )
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
                await tx.session.execute(
                    update(WebhookSubscription)
                    .where(
                        WebhookSubscription.id == subscription_id,
                        WebhookSubscription.lease_owner == self.owner,
                    )
                    .values(lease_until=None, lease_owner=None)
                )
                await tx.commit()

    async def _deliver_in_order(self, subscription_id: uuid.UUID) -> None:
        started = time.monotonic()
        budget = self.settings.webhook_lease_seconds / 2
        async with self.db.tx(write=False) as tx:
            subscription = await tx.session.get(WebhookSubscription, subscription_id)
            if subscription is None:
                return
            target, secret = subscription.target_url, subscription.secret
            rows = (
                await tx.session.execute(
                    select(WebhookDelivery.id, WebhookDelivery.event_id, WebhookDelivery.body)
                    .where(WebhookDelivery.subscription_id == subscription_id, _IS_PENDING)
                    .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
                    .limit(self.settings.webhook_batch_size)
                )
            ).all()
        for delivery_id, event_id, body in rows:
            if self._stopping or time.monotonic() - started > budget:
                return  # the lease must outlive the work; the rest goes next round
            attempt = await self.attempt(target, secret=secret, event_id=event_id, body=body)
            if not await self._record(subscription_id, delivery_id, attempt):
                return

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
        except httpx.HTTPError as exc:
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
        for n, address in enumerate(target.addresses, start=1):
            url, host, extensions = target.via(address)
            try:
                async with self._client.stream(
                    "POST", url, content=content, headers=headers | host, extensions=extensions
                ) as reply:
                    return reply.status_code
            except httpx.ConnectError:
                if n == len(target.addresses):
                    raise
        raise httpx.ConnectError(f"{target.url.host} has no address")

    async def _record(
        self, subscription_id: uuid.UUID, delivery_id: uuid.UUID, attempt: Attempt
    ) -> bool:
        """Write one attempt and what follows from it; True when the next may go."""
        now = utcnow()
        async with self.db.tx(write=True) as tx:
            subscription = await tx.session.get(WebhookSubscription, subscription_id)
            delivery = await tx.session.get(WebhookDelivery, delivery_id)
            if subscription is None or delivery is None:
                return False  # unsubscribed meanwhile
            if attempt.gone:
                log.info(
                    "receiver answered 410: unsubscribed",
                    extra={"subscription_id": str(subscription_id)},
                )
                await tx.session.delete(subscription)  # its deliveries and attempts go with it
                await tx.commit()
                return False
            tx.session.add(
                WebhookAttempt(
                    delivery_id=delivery_id,
                    attempted_at=now,
                    status_code=attempt.status_code,
                    latency_ms=attempt.latency_ms,
                    error=attempt.error,
                )
            )
            delivery.attempt_count += 1
            go_on = True
            if attempt.ok:
                delivery.status = DeliveryStatus.delivered
                delivery.delivered_at = now
                subscription.retry_at = None
            elif now - delivery.created_at >= timedelta(
                seconds=self.settings.webhook_retry_window_seconds
            ):
                delivery.status = DeliveryStatus.failed  # gave up; the next event may go
                subscription.retry_at = None
            else:
                wait = backoff.delay(
                    delivery.attempt_count,
                    base=self.settings.webhook_backoff_base,
                    cap=self.settings.webhook_backoff_max,
                )
                subscription.retry_at = now + timedelta(seconds=wait)
                go_on = False
            if subscription.lease_owner != self.owner:
                go_on = False  # our lease ran out and another sender has it
            await tx.commit()
            return go_on
