"""``/broadcast``."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from msgboxx.broadcasts import service
from msgboxx.broadcasts.schemas import BroadcastCreate, BroadcastOut
from msgboxx.core.wire import Envelope, envelope
from msgboxx.observability import metrics
from msgboxx.web import deps, openapi
from msgboxx.web.deps import CurrentUser, FromDate, Page, UnitOfWork
from msgboxx.web.routing import AliasedRouter
from msgboxx.web.writes import commit_and_answer

router = AliasedRouter(singular="/broadcast", plural="/broadcasts", tags=["Broadcasts"])


@router.post(
    "/broadcast",
    status_code=201,
    response_model=BroadcastOut,
    operation_id="sendBroadcast",
    responses={
        201: {"model": BroadcastOut},
        **openapi.problems(
            {
                422: "Invalid fields, or a business rule: the template is not Approved or "
                "not of this API account, the message is not the template with every "
                "placeholder filled (or the parameters do not fit it), the contact has "
                "unsubscribed or is not of this API account, sendAt is not in the next 30 "
                "days, or the Idempotency-Key was "
                "used with another body (idempotency-key-reused)",
            }
        ),
    },
)
async def send_broadcast(
    body: BroadcastCreate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    await deps.sending_turn(request)

    async def produce() -> BroadcastOut:
        sent = await service.send(
            tx,
            user,
            account_id=body.apiAccountId,
            contact_id=body.contactId,
            template_id=body.templateId,
            message=body.message,
            parameters=body.parameters,
            media=body.media,
            send_at=body.sendAt,
        )
        metrics.MESSAGES_ACCEPTED.inc()
        return sent

    return await commit_and_answer(request, tx, user, payload=body, produce=produce)


@router.get("/broadcast", response_model=Envelope[BroadcastOut], operation_id="listBroadcasts")
async def list_broadcasts(
    tx: UnitOfWork,
    user: CurrentUser,
    page: Page,
    fromDate: FromDate,
    apiAccountId: uuid.UUID | None = None,
    inboxId: uuid.UUID | None = None,
    contactId: uuid.UUID | None = None,
) -> Envelope[BroadcastOut]:
    shown, total = await service.list_broadcasts(
        tx,
        user,
        page,
        account_id=apiAccountId,
        inbox_id=inboxId,
        contact_id=contactId,
        created_from=fromDate,
    )
    return envelope(shown, total=total, request=page)


@router.get("/broadcast/{broadcastId}", response_model=BroadcastOut, operation_id="getBroadcast")
async def get_broadcast(broadcastId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> BroadcastOut:
    return await service.get(tx, user, broadcastId)
