"""``/message``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from msgboxx.core.wire import Envelope, envelope
from msgboxx.messages import service
from msgboxx.messages.schemas import MessageCreate, MessageFilters, MessageOut
from msgboxx.observability import metrics
from msgboxx.web import deps, openapi
from msgboxx.web.deps import CurrentUser, Page, UnitOfWork
from msgboxx.web.routing import AliasedRouter
from msgboxx.web.writes import answer, commit_and_answer

router = AliasedRouter(singular="/message", plural="/messages", tags=["Messages"])


@router.post(
    "/message",
    status_code=201,
    response_model=MessageOut,
    operation_id="sendMessage",
    responses={
        201: {"model": MessageOut},
        **openapi.problems(
            {
                404: "The contact, the API account or media.mediaId is unknown or not "
                "visible to this user",
                413: "media.url leads to a file over WhatsApp's limit for media.type",
                415: "media.url leads to content WhatsApp does not take as media.type",
                422: "Invalid fields, or a business rule: the contact's 24-hour window is "
                "closed (type ends in session-window-closed; send a template through "
                "/broadcast), the contact is not of this API account, media.mediaId is "
                "not of the kind media.type, media.url cannot be fetched or leads to a "
                "private address, sendAt is not in the next 30 days, or the "
                "Idempotency-Key was used with another body (idempotency-key-reused)",
            }
        ),
    },
)
async def send_message(
    body: MessageCreate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    """Accept a session message; it is committed before this answers 201.

    (Extension) ``media`` sends an uploaded file (``mediaId`` from ``POST /media``)
    or a ``url`` this server fetches, checks and stores before answering.
    """
    await deps.sending_turn(request)
    fetching = None
    if body.media is not None and body.media.url is not None:
        settings = deps.settings(request)
        fetching = service.UrlFetching(
            media_store=deps.media_store(request),
            allow_private=settings.media_urls_may_be_private,
            timeout=settings.media_fetch_timeout_seconds,
        )

    async def produce() -> MessageOut:
        accepted = await service.send_session(
            tx,
            user,
            account_id=body.apiAccountId,
            contact_id=body.contactId,
            mobile_number=body.mobileNumber,
            text=body.message,
            media=body.media,
            fetching=fetching,
            send_at=body.sendAt,
        )
        metrics.MESSAGES_ACCEPTED.inc()
        return accepted

    return await commit_and_answer(request, tx, user, payload=body, produce=produce)


@router.get("/message", response_model=Envelope[MessageOut], operation_id="listMessages")
async def list_messages(
    tx: UnitOfWork,
    user: CurrentUser,
    page: Page,
    filters: Annotated[MessageFilters, Query()],
) -> Envelope[MessageOut]:
    """With neither fromDate nor toDate, only the last 24 hours."""
    found, total = await service.list_messages(tx, user, page, filters)
    return envelope(found, total=total, request=page)


@router.get("/message/{messageId}", response_model=MessageOut, operation_id="getMessage")
async def get_message(messageId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> Response:
    return answer(await service.get(tx, user, messageId))


@router.post(
    "/message/{messageId}/cancel",
    response_model=MessageOut,
    operation_id="cancelMessage",
    responses=openapi.problems(
        {
            404: "The message is unknown or not visible to this user",
            409: "The message was not scheduled (sendAt), or it is going out or has gone "
            "out: it can no longer be cancelled",
        }
    ),
)
async def cancel_message(messageId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> Response:
    """(Extension) Cancel a scheduled message before its sendAt: it becomes Failed with
    failureReason "cancelled". Cancelling it again answers the same."""
    cancelled = await service.cancel(tx, user, messageId)
    await tx.commit()
    return answer(cancelled)
