"""Webhook subscriptions: who wants which events, and what became of each delivery.

How events become deliveries is :mod:`msgboxx.webhooks.outbox`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select

from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.auth.service import Principal
from msgboxx.core.errors import Forbidden, NotFound, Unprocessable
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx, Work
from msgboxx.webhooks import signing, store, targets
from msgboxx.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)


def _accounts(principal: Principal) -> Select[uuid.UUID] | None:
    """Admins manage every subscription of their organisation; agents those of their accounts."""
    return None if principal.is_admin else accounts.visible_account_ids(principal)


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
    count = await store.count_of_organisation(tx, principal.org_id)
    if count >= max_subscriptions:
        raise Unprocessable(
            f"the organisation has {count} webhook subscriptions, the most it may have; "
            "delete one to add another"
        )
    await targets.check(target_url, allow_private=allow_private)
    return await store.add(
        tx,
        org_id=principal.org_id,
        account_id=account_id,
        target_url=target_url,
        events=sorted({e.value for e in events}),
        secret=signing.new_secret(),
        created_at=utcnow(),
    )


async def get(tx: Tx, principal: Principal, webhook_id: uuid.UUID) -> WebhookSubscription:
    subscription = await store.get(
        tx, webhook_id, org_id=principal.org_id, visible=_accounts(principal)
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
    return await store.page(
        tx,
        page,
        org_id=principal.org_id,
        visible=_accounts(principal),
        account_id=account_id,
        created_from=created_from,
    )


async def delete(tx: Tx, principal: Principal, webhook_id: uuid.UUID) -> None:
    """Unsubscribe; undelivered events of this subscription go with it."""
    await store.delete(tx, await get(tx, principal, webhook_id))


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
    return await store.deliveries_page(tx, page, subscription_id=subscription.id, status=status)


async def retry(
    tx: Tx, principal: Principal, *, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send a delivery again now, whatever became of it before."""
    subscription = await get(tx, principal, webhook_id)
    delivery = await store.delivery(tx, subscription_id=subscription.id, delivery_id=delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} of webhook {webhook_id} was not found")
    await store.send_again(tx, subscription, delivery)
    tx.leaves(Work.webhooks)
    return delivery
