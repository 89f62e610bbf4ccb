"""Webhook subscriptions: who wants which events, and what became of each delivery.

How events become deliveries is :mod:`msgboxx.webhooks.outbox`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.auth.service import Principal
from msgboxx.core.errors import Forbidden, NotFound, Unprocessable
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.paging import fetch_page
from msgboxx.db.tx import Tx, Work
from msgboxx.webhooks import signing, targets
from msgboxx.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)


def _visible(principal: Principal) -> Any:
    """Admins manage every subscription of their organisation; agents those of their accounts."""
    condition = WebhookSubscription.org_id == principal.org_id
    if principal.is_admin:
        return condition
    return and_(
        condition, WebhookSubscription.account_id.in_(accounts.visible_account_ids(principal))
    )


async def create(
    tx: Tx,
    principal: Principal,
    *,
    target_url: str,
    events: list[EventType],
    account_id: uuid.UUID | None,
    allow_private: bool,
    max_subscriptions: int,
) -> WebhookSubscription:
    """Subscribe a URL to events of the organisation, or of one account.

    An organisation has at most ``max_subscriptions``: each one is written to at
    every event of its accounts.
    """
    targets.parse(target_url)
    if account_id is not None:
        await accounts.get(tx, principal, account_id)
    elif not principal.is_admin:
        raise Forbidden("an agent must name the apiAccountId whose events it subscribes to")
    await auth.lock_organisation(tx, org_id=principal.org_id)  # counted, then added
    count = await tx.session.scalar(
        select(func.count())
        .select_from(WebhookSubscription)
        .where(WebhookSubscription.org_id == principal.org_id)
    )
    if count is not None and count >= max_subscriptions:
        raise Unprocessable(
            f"the organisation has {count} webhook subscriptions, the most it may have; "
            "delete one to add another"
        )
    await targets.check(target_url, allow_private=allow_private)
    subscription = WebhookSubscription(
        org_id=principal.org_id,
        account_id=account_id,
        target_url=target_url,
        events=sorted({e.value for e in events}),
        secret=signing.new_secret(),
        created_at=utcnow(),
    )
    tx.session.add(subscription)
    await tx.session.flush()
    return subscription


async def get(tx: Tx, principal: Principal, webhook_id: uuid.UUID) -> WebhookSubscription:
    subscription = await tx.session.scalar(
        select(WebhookSubscription).where(WebhookSubscription.id == webhook_id, _visible(principal))
    )
    if subscription is None:
        raise NotFound(f"webhook {webhook_id} was not found")
    return subscription


async def list_subscriptions(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
) -> tuple[list[WebhookSubscription], int]:
    conditions: list[Any] = [_visible(principal)]
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


async def delete(tx: Tx, principal: Principal, webhook_id: uuid.UUID) -> None:
    """Unsubscribe; undelivered events of this subscription go with it."""
    await tx.session.delete(await get(tx, principal, webhook_id))
    await tx.session.flush()


async def list_deliveries(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    webhook_id: uuid.UUID,
    status: DeliveryStatus | None = None,
) -> tuple[list[WebhookDelivery], int]:
    """Newest first, each with every attempt made."""
    subscription = await get(tx, principal, webhook_id)
    conditions: list[Any] = [WebhookDelivery.subscription_id == subscription.id]
    if status is not None:
        conditions.append(WebhookDelivery.status == status)
    query = (
        select(WebhookDelivery)
        .where(*conditions)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )
    return await fetch_page(tx, query, page)


async def retry(
    tx: Tx, principal: Principal, *, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send a delivery again now, whatever became of it before."""
    subscription = await get(tx, principal, webhook_id)
    delivery = await tx.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.subscription_id == subscription.id,
        )
    )
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} of webhook {webhook_id} was not found")
    delivery.status = DeliveryStatus.pending
    delivery.delivered_at = None
    subscription.retry_at = None
    tx.leaves(Work.webhooks)
    await tx.session.flush()
    return delivery
