"""``/webhook``: REST-hook subscriptions and the log of their deliveries."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from msgboxx.core.wire import Envelope, envelope
from msgboxx.web import openapi
from msgboxx.web.deps import CurrentUser, FromDate, Page, UnitOfWork, settings
from msgboxx.web.routing import AliasedRouter
from msgboxx.web.writes import commit_and_answer
from msgboxx.webhooks import service
from msgboxx.webhooks.models import DeliveryStatus
from msgboxx.webhooks.schemas import DeliveryOut, WebhookCreate, WebhookCreated, WebhookOut

router = AliasedRouter(singular="/webhook", plural="/webhooks", tags=["Webhooks"])


@router.post(
    "/webhook",
    status_code=201,
    response_model=WebhookCreated,
    operation_id="createWebhook",
    responses={
        201: {"model": WebhookCreated},
        **openapi.problems(
            {
                403: "An agent must name the apiAccountId whose events it subscribes to",
                422: "Invalid fields, or a target URL that may not be called",
            }
        ),
    },
)
async def subscribe(
    body: WebhookCreate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    """Subscribe a URL to events; the answer shows the signing secret, once."""

    async def produce() -> WebhookCreated:
        subscription = await service.create(
            tx,
            user,
            target_url=body.targetUrl,
            events=body.events,
            account_id=body.apiAccountId,
            allow_private=settings(request).webhook_allow_private,
            max_subscriptions=settings(request).webhook_max_subscriptions,
        )
        return WebhookCreated.of_new(subscription)

    return await commit_and_answer(request, tx, user, payload=body, produce=produce)


@router.get("/webhook", response_model=Envelope[WebhookOut], operation_id="listWebhooks")
async def list_webhooks(
    tx: UnitOfWork,
    user: CurrentUser,
    page: Page,
    fromDate: FromDate,
    apiAccountId: uuid.UUID | None = None,
) -> Envelope[WebhookOut]:
    rows, total = await service.list_subscriptions(
        tx, user, page, account_id=apiAccountId, created_from=fromDate
    )
    return envelope([WebhookOut.of(s) for s in rows], total=total, request=page)


@router.get("/webhook/{webhookId}", response_model=WebhookOut, operation_id="getWebhook")
async def get_webhook(webhookId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> WebhookOut:
    return WebhookOut.of(await service.get(tx, user, webhookId))


@router.delete("/webhook/{webhookId}", status_code=204, operation_id="deleteWebhook")
async def unsubscribe(webhookId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> Response:
    """The unsubscribe call of a REST-hook client; pending deliveries are dropped."""
    await service.delete(tx, user, webhookId)
    await tx.commit()
    return Response(status_code=204)


@router.get(
    "/webhook/{webhookId}/deliveries",
    response_model=Envelope[DeliveryOut],
    operation_id="listWebhookDeliveries",
)
async def list_deliveries(
    webhookId: uuid.UUID,
    tx: UnitOfWork,
    user: CurrentUser,
    page: Page,
    status: DeliveryStatus | None = None,
) -> Envelope[DeliveryOut]:
    """Newest first, each with its attempts: status code, latency and error."""
    rows, total = await service.list_deliveries(tx, user, page, webhook_id=webhookId, status=status)
    return envelope([DeliveryOut.of(d) for d in rows], total=total, request=page)


@router.post(
    "/webhook/{webhookId}/deliveries/{deliveryId}/retry",
    status_code=202,
    response_model=DeliveryOut,
    operation_id="retryWebhookDelivery",
)
async def retry_delivery(
    webhookId: uuid.UUID, deliveryId: uuid.UUID, tx: UnitOfWork, user: CurrentUser
) -> DeliveryOut:
    """Send a delivery again, now."""
    delivery = await service.retry(tx, user, webhook_id=webhookId, delivery_id=deliveryId)
    await tx.commit()
    return DeliveryOut.of(delivery)
