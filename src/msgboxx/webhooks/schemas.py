"""Wire shapes of webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from pydantic import Field

from msgboxx.core.wire import ApiModel, Timestamp
from msgboxx.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


class WebhookCreate(ApiModel):
    targetUrl: str = Field(min_length=1, max_length=2000)
    events: list[EventType] = Field(min_length=1, max_length=len(EventType))
    apiAccountId: uuid.UUID | None = None


class WebhookOut(ApiModel):
    webhookId: uuid.UUID
    targetUrl: str
    events: list[EventType]
    apiAccountId: uuid.UUID | None
    dateTime: Timestamp

    @classmethod
    def of(cls, subscription: WebhookSubscription) -> WebhookOut:
        return cls(
            webhookId=subscription.id,
            targetUrl=subscription.target_url,
            events=[EventType(e) for e in subscription.events],
            apiAccountId=subscription.account_id,
            dateTime=subscription.created_at,
        )


class WebhookCreated(WebhookOut):
    """The answer to a subscription: the only time the signing secret is shown."""

    secret: str

    @classmethod
    def of_new(cls, subscription: WebhookSubscription) -> WebhookCreated:
        return cls(**WebhookOut.of(subscription).model_dump(), secret=subscription.secret)


class AttemptOut(ApiModel):
    dateTime: Timestamp
    statusCode: int | None
    latencyMs: int
    error: str | None

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> AttemptOut:
        return cls(
            dateTime=attempt.attempted_at,
            statusCode=attempt.status_code,
            latencyMs=attempt.latency_ms,
            error=attempt.error,
        )


class DeliveryOut(ApiModel):
    deliveryId: uuid.UUID
    webhookId: uuid.UUID
    eventId: str
    type: EventType
    status: DeliveryStatus
    dateTime: Timestamp
    deliveredAt: Timestamp | None
    attempts: list[AttemptOut]
    event: dict[str, Any]

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryOut:
        return cls(
            deliveryId=delivery.id,
            webhookId=delivery.subscription_id,
            eventId=delivery.event_id,
            type=EventType(delivery.event_type),
            status=DeliveryStatus(delivery.status),
            dateTime=delivery.created_at,
            deliveredAt=delivery.delivered_at,
            attempts=[AttemptOut.of(a) for a in delivery.attempts],
            event=orjson.loads(delivery.body),
        )
