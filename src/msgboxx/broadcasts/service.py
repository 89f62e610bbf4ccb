"""Template sends: the text must be an Approved template of the account, filled in.

A broadcast is shown with its message; the messages domain says what that
message reads and where it stands, the templates domain what may be sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from msgboxx.accounts import service as accounts
from msgboxx.auth.service import Principal
from msgboxx.broadcasts import store
from msgboxx.broadcasts.models import Broadcast
from msgboxx.broadcasts.schemas import BroadcastOut, HeaderMedia
from msgboxx.contacts.status import UNSUBSCRIBED_REASON, ContactStatus
from msgboxx.core.errors import NotFound, Unprocessable
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.media import service as media_service
from msgboxx.media.kinds import MediaKind
from msgboxx.messages import service as messages
from msgboxx.messages.schemas import MessageOut
from msgboxx.templates import service as templates


async def send(
    tx: Tx,
    principal: Principal,
    *,
    account_id: uuid.UUID,
    contact_id: uuid.UUID,
    template_id: uuid.UUID,
    message: str | None,
    parameters: list[str] | None,
    media: HeaderMedia | None = None,
    send_at: datetime | None = None,
) -> BroadcastOut:
    """Queue the template, filled in, to a contact who has not unsubscribed.

    A template whose header is media takes it here (an upload, of the header's kind).
    With ``send_at`` it goes out then, if the contact has not unsubscribed by then.
    """
    to = await messages.recipient(tx, principal, account_id=account_id, contact_id=contact_id)
    if to.status == ContactStatus.unsubscribed:
        raise Unprocessable.for_field("contactId", UNSUBSCRIBED_REASON)
    filled = await templates.fill_for_broadcast(
        tx, template_id=template_id, account_id=account_id, message=message, parameters=parameters
    )
    header = None
    if filled.header_type is None and media is not None:
        raise Unprocessable.for_field("media", "this template has no media header")
    if filled.header_type is not None:
        if media is None:
            raise Unprocessable.for_field(
                "media", f"this template's header is a {filled.header_type}: give it as media"
            )
        if media.type != filled.header_type:
            raise Unprocessable.for_field(
                "media.type", f"this template's header is a {filled.header_type}"
            )
        header = await media_service.sendable(
            tx, principal, media.mediaId, kind=MediaKind(media.type), account_id=account_id
        )
    now = utcnow()
    content = messages.Outbound(
        filled.text,
        template_id=filled.template_id,
        template_parameters=filled.parameters,
        media=header,
    )
    queued = await messages.enqueue(tx, to=to, content=content, now=now, send_at=send_at)
    broadcast = Broadcast(
        account_id=account_id,
        inbox_id=to.inbox_id,
        contact_id=contact_id,
        template_id=filled.template_id,
        message_id=queued.id,
        created_at=now,
    )
    await store.add(tx, broadcast)
    return BroadcastOut.of(broadcast, MessageOut.of(queued))


async def get(tx: Tx, principal: Principal, broadcast_id: uuid.UUID) -> BroadcastOut:
    """One broadcast, or 404 — also when another tenant owns it."""
    broadcast = await store.get_visible(
        tx, visible=accounts.visible_account_ids(principal), broadcast_id=broadcast_id
    )
    if broadcast is None:
        raise NotFound(f"broadcast {broadcast_id} was not found")
    (shown,) = await _shown(tx, [broadcast])
    return shown


async def list_broadcasts(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    inbox_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
) -> tuple[list[BroadcastOut], int]:
    found, total = await store.page(
        tx,
        visible=accounts.visible_account_ids(principal),
        page=page,
        account_id=account_id,
        inbox_id=inbox_id,
        contact_id=contact_id,
        created_from=created_from,
    )
    return await _shown(tx, found), total


async def _shown(tx: Tx, broadcasts: Sequence[Broadcast]) -> list[BroadcastOut]:
    """Broadcasts with their messages as they stand now (one read for them all)."""
    views = await messages.views(tx, [b.message_id for b in broadcasts])
    return [BroadcastOut.of(b, views.get(b.message_id)) for b in broadcasts]


async def shown_with(tx: Tx, shown: Sequence[MessageOut]) -> list[BroadcastOut | None]:
    """For each message view, its broadcast with the message as given; None for no broadcast.

    For events, which announce a broadcast's message as it was at the time.
    """
    found = await store.of_messages(tx, list({view.messageId for view in shown}))
    by_message = {b.message_id: b for b in found}
    return [
        BroadcastOut.of(by_message[view.messageId], view) if view.messageId in by_message else None
        for view in shown
    ]
