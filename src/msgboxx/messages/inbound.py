"""A customer's message, stored once however often the network delivers it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from msgboxx.conversations import service as conversations
from msgboxx.core.events import EventType
from msgboxx.db.tx import Tx
from msgboxx.messages import media_store, reactions, shown, store
from msgboxx.messages.accepting import conversation_id
from msgboxx.messages.rows import MessageRow
from msgboxx.messages.schemas import INBOUND, MessageOut
from msgboxx.messages.status import MessageStatus

if TYPE_CHECKING:  # the media service hands its rows out; only their type is named here
    from msgboxx.media.models import Media


async def record_inbound(
    tx: Tx,
    *,
    account_id: uuid.UUID,
    inbox_id: uuid.UUID,
    contact_id: uuid.UUID,
    provider_message_id: str,
    text: str,
    kind: str,
    at: datetime,
    content: dict[str, Any] | None = None,
    media_id: uuid.UUID | None = None,
    threads: list[conversations.Activity] | None = None,
) -> MessageOut | None:
    """Store a customer's message and announce it; None for a repeat (nothing written).

    The contact's window is the contacts domain's to extend (``intake`` asks it).
    A reaction is settled first (``reactions``): it may replace an earlier one,
    and a removal with nothing to remove is None too. The message's thread is
    recorded now, or, when the caller writes a batch, added to ``threads`` for
    :func:`record_threads` to write once for the whole batch.
    """
    if kind == reactions.REACTION and content is not None:
        content = await reactions.settle(
            tx,
            account_id=account_id,
            contact_id=contact_id,
            provider_message_id=provider_message_id,
            at=at,
            content=content,
        )
        if content is None:
            return None
    row = MessageRow(
        id=uuid.uuid4(),
        account_id=account_id,
        inbox_id=inbox_id,
        contact_id=contact_id,
        conversation_id=conversation_id(inbox_id, contact_id),
        direction=INBOUND,
        kind=kind,
        text=text,
        status=MessageStatus.received,
        template_id=None,
        template_parameters=None,
        provider_message_id=provider_message_id,
        failure_reason=None,
        created_at=at,
        sent_at=None,
        delivered_at=None,
        read_at=None,
        failed_at=None,
        attempts=0,
        next_attempt_at=None,
        lease_until=None,
        lease_owner=None,
        content=content,
        media_id=media_id,
    )
    if not await store.add_inbound(tx, row):
        return None
    activity = conversations.Activity(contact_id, account_id, row.id, at, True)
    if threads is None:
        await conversations.record_activity(tx, [activity])
    else:
        threads.append(activity)
    # With its media (pending: the fetch follows and announces ``message.media``).
    [stored] = await shown.views_of(tx, [row])
    tx.emit(account_id=account_id, event_type=EventType.message_inbound, data=stored)
    return stored


async def record_threads(tx: Tx, threads: list[conversations.Activity]) -> None:
    """The threads of a batch of customer messages: one statement for the batch."""
    await conversations.record_activity(tx, threads)


async def announce_media(tx: Tx, *, media: Media) -> MessageOut | None:
    """The message that carries ``media`` now shows it stored or failed: ``message.media``.

    None when no message carries it any more (its contact was erased meanwhile).
    """
    if media.contact_id is None:
        return None
    row = await media_store.carrying(tx, media_id=media.id, contact_id=media.contact_id)
    if row is None:
        return None
    view = shown.view_of(row, {media.id: media})
    tx.emit(account_id=row.account_id, event_type=EventType.message_media, data=view)
    return view
