"""The shared inbox's extension endpoints: conversations, private notes, canned replies."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from msgboxx.conversations import service
from msgboxx.conversations.schemas import (
    AssignBody,
    AssigneeFilter,
    CannedReplyCreate,
    CannedReplyOut,
    CannedReplyUpdate,
    ConversationView,
    NoteCreate,
    NoteOut,
    Show,
    StatusFilter,
)
from msgboxx.core.wire import ApiModel, DateOrInstant, as_utc
from msgboxx.web import openapi
from msgboxx.web.deps import CurrentUser, UnitOfWork
from msgboxx.web.routing import AliasedRouter
from msgboxx.web.writes import commit_and_answer

TAGS = ["Conversations (extension)"]
inboxes = AliasedRouter(singular="/inbox", plural="/inboxes", tags=TAGS)
contacts = AliasedRouter(singular="/contact", plural="/contacts", tags=TAGS)
canned = AliasedRouter(singular="/canned-reply", plural="/canned-replies", tags=TAGS)

_NOT_SEEN = openapi.problems({404: "No such contact among the accounts the caller sees"})


class NoBody(ApiModel):
    """What a write without a body is fingerprinted as, for ``Idempotency-Key``."""


@inboxes.get(
    "/inbox/{inboxId}/conversations",
    response_model=list[ConversationView],
    operation_id="listConversations",
    responses=openapi.problems({404: "No such inbox among the accounts the caller sees"}),
)
async def list_conversations(
    inboxId: uuid.UUID,
    tx: UnitOfWork,
    user: CurrentUser,
    show: Show = "all",
    assignee: AssigneeFilter = "all",
    status: StatusFilter = "all",
    q: Annotated[str | None, Query(max_length=200)] = None,
    pageSize: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[DateOrInstant | None, Query()] = None,
) -> list[ConversationView]:
    """The inbox's conversations, latest activity first.

    The next page: ``before`` = the last item's ``lastActivityAt``. ``q`` finds a
    contact by name (any case) or by digits of its number.
    """
    return await service.list_conversations(
        tx,
        user,
        inbox_id=inboxId,
        show=show,
        assignee=assignee,
        status=status,
        search=q,
        limit=pageSize,
        before=as_utc(before) if before is not None else None,
    )


@contacts.get(
    "/contact/{contactId}/conversation",
    response_model=ConversationView,
    operation_id="getConversation",
    responses=_NOT_SEEN,
)
async def get_conversation(
    contactId: uuid.UUID, tx: UnitOfWork, user: CurrentUser
) -> ConversationView:
    return await service.get_conversation(tx, user, contact_id=contactId)


async def _write(
    request: Request,
    tx: UnitOfWork,
    user: CurrentUser,
    payload: ApiModel,
    produce: Callable[[], Awaitable[ApiModel]],
    *,
    status_code: int = 200,
) -> Response:
    return await commit_and_answer(
        request, tx, user, payload=payload, produce=produce, status_code=status_code
    )


@contacts.post(
    "/contact/{contactId}/conversation/read",
    response_model=ConversationView,
    operation_id="markConversationRead",
    responses=_NOT_SEEN,
)
async def mark_read(
    contactId: uuid.UUID, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    """Nothing unread in the conversation any more."""
    return await _write(
        request, tx, user, NoBody(), lambda: service.mark_read(tx, user, contact_id=contactId)
    )


@contacts.post(
    "/contact/{contactId}/conversation/assign",
    response_model=ConversationView,
    operation_id="assignConversation",
    responses=openapi.problems(
        {
            404: "No such contact among the accounts the caller sees",
            422: "The assignee is no active user of the organisation who may see the account",
        }
    ),
)
async def assign(
    contactId: uuid.UUID, body: AssignBody, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    """Give the conversation to an agent or admin; ``assigneeId: null`` leaves it in the queue.

    Announced as ``conversation.assigned``.
    """
    return await _write(
        request,
        tx,
        user,
        body,
        lambda: service.assign(tx, user, contact_id=contactId, assignee_id=body.assigneeId),
    )


@contacts.post(
    "/contact/{contactId}/conversation/resolve",
    response_model=ConversationView,
    operation_id="resolveConversation",
    responses=_NOT_SEEN,
)
async def resolve(
    contactId: uuid.UUID, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    """Done for now: the customer's next message reopens it (``conversation.status``)."""
    return await _write(
        request, tx, user, NoBody(), lambda: service.resolve(tx, user, contact_id=contactId)
    )


@contacts.post(
    "/contact/{contactId}/conversation/reopen",
    response_model=ConversationView,
    operation_id="reopenConversation",
    responses=_NOT_SEEN,
)
async def reopen(
    contactId: uuid.UUID, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    """Open again (``conversation.status``)."""
    return await _write(
        request, tx, user, NoBody(), lambda: service.reopen(tx, user, contact_id=contactId)
    )


@contacts.get(
    "/contact/{contactId}/notes",
    response_model=list[NoteOut],
    operation_id="listNotes",
    responses=_NOT_SEEN,
)
async def list_notes(contactId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> list[NoteOut]:
    """The conversation's private notes, oldest first."""
    return await service.list_notes(tx, user, contact_id=contactId)


@contacts.post(
    "/contact/{contactId}/notes",
    status_code=201,
    response_model=NoteOut,
    operation_id="addNote",
    responses={201: {"model": NoteOut}, **_NOT_SEEN},
)
async def add_note(
    contactId: uuid.UUID, body: NoteCreate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    """A private note in the conversation: agents see it, the customer never does.

    Announced as ``conversation.note``.
    """
    return await _write(
        request,
        tx,
        user,
        body,
        lambda: service.add_note(tx, user, contact_id=contactId, body=body.body),
        status_code=201,
    )


@canned.get("/canned-reply", response_model=list[CannedReplyOut], operation_id="listCannedReplies")
async def list_canned_replies(tx: UnitOfWork, user: CurrentUser) -> list[CannedReplyOut]:
    """The organisation's canned replies, by shortcut."""
    return await service.list_canned_replies(tx, user)


_ADMIN_ONLY = {403: "Only an admin manages canned replies"}


@canned.post(
    "/canned-reply",
    status_code=201,
    response_model=CannedReplyOut,
    operation_id="createCannedReply",
    responses={
        201: {"model": CannedReplyOut},
        **openapi.problems({**_ADMIN_ONLY, 409: "The organisation has this shortcut already"}),
    },
)
async def create_canned_reply(
    body: CannedReplyCreate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    return await _write(
        request,
        tx,
        user,
        body,
        lambda: service.create_canned_reply(tx, user, shortcut=body.shortcut, body=body.body),
        status_code=201,
    )


@canned.patch(
    "/canned-reply/{cannedReplyId}",
    response_model=CannedReplyOut,
    operation_id="updateCannedReply",
    responses=openapi.problems(
        {**_ADMIN_ONLY, 404: "No such canned reply", 409: "The shortcut is taken"}
    ),
)
async def update_canned_reply(
    cannedReplyId: uuid.UUID, body: CannedReplyUpdate, tx: UnitOfWork, user: CurrentUser
) -> CannedReplyOut:
    changed = await service.update_canned_reply(
        tx, user, reply_id=cannedReplyId, shortcut=body.shortcut, body=body.body
    )
    await tx.commit()
    return changed


@canned.delete(
    "/canned-reply/{cannedReplyId}",
    status_code=204,
    operation_id="deleteCannedReply",
    responses=openapi.problems({**_ADMIN_ONLY, 404: "No such canned reply"}),
)
async def delete_canned_reply(
    cannedReplyId: uuid.UUID, tx: UnitOfWork, user: CurrentUser
) -> Response:
    await service.delete_canned_reply(tx, user, reply_id=cannedReplyId)
    await tx.commit()
    return Response(status_code=204)


routers = (inboxes, contacts, canned)
