"""Every statement on subscriptions, deliveries and attempts, but the outbox's.

The outbox (``webhooks/outbox.py``) writes deliveries at commit; everything
else that reads or changes these tables, the API's and the sender's, is here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Select,
    Table,
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)

from msgboxx.core.wire import PageRequest
from msgboxx.db import UTCDateTime, new_id
from msgboxx.db.paging import fetch_page
from msgboxx.db.tx import Tx
from msgboxx.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

# Inline, not a bound parameter, so SQLite can use the partial index of pending rows.
_IS_PENDING = WebhookDelivery.status == literal_column("'Pending'")


def _managed(org_id: uuid.UUID, visible: Select[uuid.UUID] | None) -> Any:
    """The organisation's subscriptions; with ``visible``, only those of these accounts."""
    condition = WebhookSubscription.org_id == org_id
    if visible is None:
        return condition
    return and_(condition, WebhookSubscription.account_id.in_(visible))


async def get(
    tx: Tx, webhook_id: uuid.UUID, *, org_id: uuid.UUID, visible: Select[uuid.UUID] | None
) -> WebhookSubscription | None:
    return await tx.session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.id == webhook_id, _managed(org_id, visible)
        )
    )


async def page(
    tx: Tx,
    page: PageRequest,
    *,
    org_id: uuid.UUID,
    visible: Select[uuid.UUID] | None,
    account_id: uuid.UUID | None,
    created_from: datetime | None,
) -> tuple[list[WebhookSubscription], int]:
    conditions: list[Any] = [_managed(org_id, visible)]
    if account_id is not None:
        conditions.append(WebhookSubscription.account_id == account_id)
    if created_from is not None:
        conditions.append(WebhookSubscription.created_at >= created_from)
    query = (
        select(WebhookSubscription)
        .where(*conditions)
        .order_by(WebhookSubscription.created_at.desc(), WebhookSubscription.id.desc())
    )
    return await fetch_page(tx, query, page)


async def count_of_organisation(tx: Tx, org_id: uuid.UUID) -> int:
    count = await tx.session.scalar(
        select(func.count())
        .select_from(WebhookSubscription)
        .where(WebhookSubscription.org_id == org_id)
    )
    return count or 0


async def add(
    tx: Tx,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID | None,
    target_url: str,
    events: list[str],
    secret: str,
    created_at: datetime,
) -> WebhookSubscription:
    subscription = WebhookSubscription(
        org_id=org_id,
        account_id=account_id,
        target_url=target_url,
        events=events,
        secret=secret,
        created_at=created_at,
    )
    tx.session.add(subscription)
    await tx.session.flush()
    return subscription


async def delete(tx: Tx, subscription: WebhookSubscription) -> None:
    """Its deliveries and their attempts go with it (the foreign keys cascade)."""
    await tx.session.delete(subscription)
    await tx.session.flush()


async def deliveries_page(
    tx: Tx,
    page: PageRequest,
    *,
    subscription_id: uuid.UUID,
    status: DeliveryStatus | None,
) -> tuple[list[WebhookDelivery], int]:
    """Newest first; each delivery's attempts come loaded with it."""
    conditions: list[Any] = [WebhookDelivery.subscription_id == subscription_id]
    if status is not None:
        conditions.append(WebhookDelivery.status == status)
    query = (
        select(WebhookDelivery)
        .where(*conditions)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )
    return await fetch_page(tx, query, page)


async def delivery(
    tx: Tx, *, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    return await tx.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.subscription_id == subscription_id,
        )
    )


async def send_again(tx: Tx, subscription: WebhookSubscription, delivery: WebhookDelivery) -> None:
    """Pending again, and the subscription no longer backing off."""
    delivery.status = DeliveryStatus.pending
    delivery.delivered_at = None
    subscription.retry_at = None
    await tx.session.flush()


# The sender's statements.


async def claim(
    tx: Tx, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    """Lease subscriptions with a pending delivery, not backing off and not leased."""
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


async def release(tx: Tx, subscription_id: uuid.UUID, *, owner: str) -> None:
    """End our lease, unless it ran out and another sender holds the subscription now."""
    await tx.session.execute(
        update(WebhookSubscription)
        .where(
            WebhookSubscription.id == subscription_id,
            WebhookSubscription.lease_owner == owner,
        )
        .values(lease_until=None, lease_owner=None)
    )


async def pending(
    tx: Tx, subscription_id: uuid.UUID, *, limit: int
) -> tuple[str, str, list[tuple[uuid.UUID, str, str]]] | None:
    """The target, the secret and the oldest pending deliveries (id, event id, body)."""
    subscription = await tx.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        return None
    rows = await tx.session.execute(
        select(WebhookDelivery.id, WebhookDelivery.event_id, WebhookDelivery.body)
        .where(WebhookDelivery.subscription_id == subscription_id, _IS_PENDING)
        .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        .limit(limit)
    )
    deliveries = [(delivery_id, event_id, body) for delivery_id, event_id, body in rows]
    return subscription.target_url, subscription.secret, deliveries


async def subscription(tx: Tx, subscription_id: uuid.UUID) -> WebhookSubscription | None:
    return await tx.session.get(WebhookSubscription, subscription_id)


async def attempted(
    tx: Tx, *, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> tuple[WebhookSubscription, WebhookDelivery] | None:
    """The subscription and the delivery an attempt was made for; None if unsubscribed."""
    subscription = await tx.session.get(WebhookSubscription, subscription_id)
    delivery = await tx.session.get(WebhookDelivery, delivery_id)
    if subscription is None or delivery is None:
        return None
    return subscription, delivery


async def record_attempt(
    tx: Tx,
    subscription: WebhookSubscription,
    delivery: WebhookDelivery,
    *,
    at: datetime,
    status_code: int | None,
    latency_ms: int,
    error: str | None,
    status: DeliveryStatus | None,
    retry_at: datetime | None,
) -> None:
    """The attempt's log row, the delivery's count and new status (None: unchanged),
    and when the subscription may try again (None: at once)."""
    tx.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempted_at=at,
            status_code=status_code,
            latency_ms=latency_ms,
            error=error,
        )
    )
    delivery.attempt_count += 1
    if status is not None:
        delivery.status = status
        if status is DeliveryStatus.delivered:
            delivery.delivered_at = at
    subscription.retry_at = retry_at
    await tx.session.flush()


@dataclass(frozen=True, slots=True)
class Delivered:
    """A 2xx attempt the sender has made and not yet written."""

    delivery_id: uuid.UUID
    at: datetime
    status_code: int
    latency_ms: int


# Tables, not classes: each is one statement run for many rows at once (executemany).
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)
_DELIVERIES = cast(Table, WebhookDelivery.__table__)
# Bound names unlike the columns': SQLAlchemy keeps those for the SET clause itself.
_MARK_DELIVERED = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("delivered_id"))
    .values(
        status=DeliveryStatus.delivered.value,
        delivered_at=bindparam("delivered_on", type_=UTCDateTime),
        attempt_count=_DELIVERIES.c.attempt_count + 1,
    )
)


async def record_delivered(
    tx: Tx, subscription: WebhookSubscription, delivered: Sequence[Delivered]
) -> None:
    """Successful attempts in two statements however many there are: their log rows,
    and their deliveries marked delivered; the subscription no longer backs off."""
    if not delivered:
        return
    await tx.session.execute(
        insert(_ATTEMPTS),
        [
            {
                "id": new_id(),
                "delivery_id": d.delivery_id,
                "attempted_at": d.at,
                "status_code": d.status_code,
                "latency_ms": d.latency_ms,
                "error": None,
            }
            for d in delivered
        ],
    )
    await tx.session.execute(
        _MARK_DELIVERED, [{"delivered_id": d.delivery_id, "delivered_on": d.at} for d in delivered]
    )
    subscription.retry_at = None
    await tx.session.flush()
