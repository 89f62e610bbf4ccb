"""Accepting outbound messages: the recipient, the window, and the queued row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from msgboxx.accounts import service as accounts
from msgboxx.auth.service import Principal
from msgboxx.contacts import service as contacts
from msgboxx.conversations import service as conversations
from msgboxx.core.errors import NotFound, Unprocessable
from msgboxx.core.events import EventType
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx, Work
from msgboxx.media import links
from msgboxx.media import service as media_service
from msgboxx.media.storage import MediaStore
from msgboxx.messages import schedule, shown, store, window
from msgboxx.messages.rows import MessageRow, Recipient
from msgboxx.messages.schemas import OUTBOUND, MediaSend, MessageOut
from msgboxx.messages.status import MessageStatus

if TYPE_CHECKING:
    from msgboxx.media.models import Media

_CONVERSATIONS = uuid.UUID("6f1c3f0e-6a57-4d3e-9a43-0f3c5e2b8d11")


def conversation_id(inbox_id: uuid.UUID, contact_id: uuid.UUID) -> uuid.UUID:
    """The thread between one inbox and one contact: derived, so always stable."""
    return uuid.uuid5(_CONVERSATIONS, f"{inbox_id}:{contact_id}")


async def recipient(
    tx: Tx, principal: Principal, *, account_id: uuid.UUID, contact_id: uuid.UUID
) -> Recipient:
    """Load the contact (visible or 404) and check it belongs to the account (or 422)."""
    to = await store.recipient(
        tx,
        contact_id=contact_id,
        admin=principal.is_admin,
        visibility=accounts.visibility(principal),
    )
    if to is None:
        await accounts.get(tx, principal, account_id)  # 404 the account first if unseen
        raise NotFound(f"contact {contact_id} was not found")
    if to.account_id != account_id:
        await accounts.get(tx, principal, account_id)
        raise Unprocessable.for_field(
            "contactId", "this contact does not belong to the given API account"
        )
    return to


@dataclass(frozen=True, slots=True)
class UrlFetching:
    """How this server fetches a media url: into which store, and where it may connect."""

    media_store: MediaStore
    allow_private: bool
    timeout: float


async def send_session(
    tx: Tx,
    principal: Principal,
    *,
    account_id: uuid.UUID,
    contact_id: uuid.UUID | None,
    mobile_number: str | None = None,
    text: str | None,
    media: MediaSend | None = None,
    fetching: UrlFetching | None = None,
    send_at: datetime | None = None,
) -> MessageOut:
    """Accept a free-form message, or media; only inside the contact's 24-hour window.

    The contact is named by its id, or by its number on the account: that costs
    a lookup more, so only a send that gives a number makes it. Media is an
    upload of the caller's organisation, or a url fetched into the store before
    the message is accepted (with no connection held meanwhile). With
    ``send_at`` (extension) it is queued to go out then (``messages.schedule``);
    the window must be open now, and is checked again at ``send_at``.
    """
    if contact_id is None:
        assert mobile_number is not None  # the schema requires one of the two
        contact_id = await contacts.id_by_number(
            tx, principal, account_id=account_id, mobile_number=mobile_number
        )
    to = await recipient(tx, principal, account_id=account_id, contact_id=contact_id)
    now = utcnow()
    window.ensure_open(to.last_inbound_at, now=now)
    if send_at is not None:
        schedule.ensure_schedulable(send_at, now=now)
    if media is None:
        assert text is not None  # the schema requires one of the two
        _row, accepted = await _queue(tx, to=to, content=Outbound(text), now=now, send_at=send_at)
        return accepted
    caption = text if text is not None else media.caption
    if media.mediaId is not None:
        record = await media_service.sendable(
            tx, principal, media.mediaId, kind=media.type, account_id=account_id
        )
        outbound = _media_outbound(media, caption, record)
        _row, accepted = await _queue(tx, to=to, content=outbound, now=now, send_at=send_at)
        return accepted
    assert media.url is not None and fetching is not None
    # Nothing is written yet: end the transaction, so that no connection (on
    # SQLite the one writer) waits on a stranger's server.
    await tx.rollback()
    stored = await links.fetch(
        fetching.media_store,
        media.url,
        kind=media.type,
        organisation_id=principal.org_id,
        contact_id=to.contact_id,
        allow_private=fetching.allow_private,
        timeout_seconds=fetching.timeout,
    )
    try:
        to = await recipient(tx, principal, account_id=account_id, contact_id=to.contact_id)
        now = utcnow()
        window.ensure_open(to.last_inbound_at, now=now)
        record = await media_service.record(
            tx,
            principal,
            stored,
            source=media_service.MediaSource.url,
            account_id=account_id,
            contact_id=to.contact_id,
        )
        _row, accepted = await _queue(
            tx, to=to, content=_media_outbound(media, caption, record), now=now, send_at=send_at
        )
    except BaseException:
        await media_service.discard(fetching.media_store, stored)
        raise
    return accepted


def _media_outbound(media: MediaSend, caption: str | None, record: Media) -> Outbound:
    """A media message: its text is the caption (empty without one: erasure blanks it to None)."""
    content = {"caption": caption, "filename": media.filename}
    return Outbound(
        caption or "",
        kind=media.type.value,
        content={key: value for key, value in content.items() if value is not None} or None,
        media=record,
    )


@dataclass(frozen=True, slots=True)
class Outbound:
    """What an outbound message says: free text, an approved template filled in, or media."""

    text: str
    template_id: uuid.UUID | None = None
    template_parameters: list[str] | None = None
    kind: str | None = None
    content: dict[str, Any] | None = None
    media: Media | None = None


async def enqueue(
    tx: Tx, *, to: Recipient, content: Outbound, now: datetime, send_at: datetime | None = None
) -> MessageRow:
    """Add an outbound message as Pending, due now or at ``send_at``; the caller commits.

    For callers that record something of their own about it (a broadcast links
    the message by its id, and shows its text and status). ``send_at`` is
    checked here (``messages.schedule``): every way in keeps the one rule.
    """
    if send_at is not None:
        schedule.ensure_schedulable(send_at, now=now)
    row, _accepted = await _queue(tx, to=to, content=content, now=now, send_at=send_at)
    return row


def outbound_row(
    to: Recipient, content: Outbound, *, now: datetime, send_at: datetime | None = None
) -> MessageRow:
    """The row of a new outbound message, Pending and due now (or at ``send_at``).

    Every way a message is accepted (one by one here, a campaign's batch in
    ``messages.bulk``) builds its row with this, so a new column is set in one place.
    """
    return MessageRow(
        id=uuid.uuid4(),
        account_id=to.account_id,
        inbox_id=to.inbox_id,
        contact_id=to.contact_id,
        conversation_id=conversation_id(to.inbox_id, to.contact_id),
        direction=OUTBOUND,
        kind=content.kind or ("template" if content.template_id else "text"),
        text=content.text,
        status=MessageStatus.pending,
        template_id=content.template_id,
        template_parameters=content.template_parameters,
        provider_message_id=None,
        failure_reason=None,
        created_at=now,
        sent_at=None,
        delivered_at=None,
        read_at=None,
        failed_at=None,
        attempts=0,
        next_attempt_at=send_at or now,
        lease_until=None,
        lease_owner=None,
        content=content.content,
        media_id=content.media.id if content.media is not None else None,
        send_at=send_at,
    )


async def _queue(
    tx: Tx, *, to: Recipient, content: Outbound, now: datetime, send_at: datetime | None = None
) -> tuple[MessageRow, MessageOut]:
    """Insert an outbound message, Pending and due now (or at ``send_at``); its row and view.

    The row is inserted directly and the view built from it, making no ORM
    model: every accepted message takes this path, and the unit of work and the
    model's instrumented attributes cost more than the insert
    (``docs/benchmarks.md``).
    """
    row = outbound_row(to, content, now=now, send_at=send_at)
    await store.add_outbound(tx, row)
    await conversations.record_activity(
        tx, [conversations.Activity(to.contact_id, to.account_id, row.id, now, False)]
    )
    tx.leaves(Work.outbound)  # and dispatchers in this process
    accepted = (
        MessageOut.of(row)
        if content.media is None
        else shown.view_of(row, {content.media.id: content.media})
    )
    if not to.subscribed:
        tx.unheard([to.account_id])
    tx.emit(account_id=to.account_id, event_type=EventType.message_created, data=accepted)
    return row, accepted
