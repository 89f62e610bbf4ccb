"""What a page shows, gathered from the domains' services (no statement, no rule here)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, get_args

from msgboxx.accounts import service as accounts
from msgboxx.accounts.service import Inbox
from msgboxx.auth import service as auth
from msgboxx.auth.service import Principal
from msgboxx.contacts import service as contacts
from msgboxx.contacts.service import Contact
from msgboxx.conversations import service as conversations
from msgboxx.conversations.schemas import (
    AssigneeFilter,
    CannedReplyOut,
    ConversationView,
    Show,
    StatusFilter,
)
from msgboxx.core.errors import NotFound
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.messages import service as messages
from msgboxx.messages import window
from msgboxx.messages.schemas import MessageFilters, MessageOut
from msgboxx.templates import placeholders
from msgboxx.templates import service as templates
from msgboxx.templates.status import TemplateStatus

T = TypeVar("T", bound=str)
THREAD_LENGTH = 200  # the latest messages of a conversation a page shows
_BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    """An approved template, with as many fields as it has placeholders."""

    id: uuid.UUID
    name: str
    language: str
    text: str
    placeholders: list[int]


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """A bubble of the thread: a message, or (kind ``note``) an agent's private note."""

    kind: str
    at: datetime
    message: MessageOut | None = None
    note_text: str = ""
    note_author: str = ""
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Conversation:
    inbox_id: uuid.UUID
    account_id: uuid.UUID
    contact: Contact
    items: list[ThreadItem]
    window_closes_at: datetime | None
    window_open: bool
    templates: list[TemplateChoice]
    teamwork: ConversationView
    canned: list[CannedReplyOut]
    colleagues: list[tuple[uuid.UUID, str]]


async def inbox_of_account(tx: Tx, principal: Principal, inbox_id: uuid.UUID) -> Inbox:
    return await accounts.get_inbox(tx, principal, inbox_id)


async def inboxes(tx: Tx, principal: Principal) -> list[Inbox]:
    found, _total = await accounts.list_inboxes(tx, principal, PageRequest(page=1, pageSize=500))
    return found


async def contact_in_inbox(
    tx: Tx, principal: Principal, *, inbox_id: uuid.UUID, contact_id: uuid.UUID
) -> tuple[Inbox, Contact]:
    """The inbox and one of its contacts: 404 for either unseen, or a contact of another inbox."""
    inbox = await accounts.get_inbox(tx, principal, inbox_id)
    contact = await contacts.get(tx, principal, contact_id)
    if contact.account_id != inbox.account_id:
        raise NotFound(f"contact {contact_id} was not found in inbox {inbox_id}")
    return inbox, contact


def details_of(message: MessageOut) -> list[str]:
    """A location, shared contacts or a reaction, as lines a person reads."""
    content: dict[str, Any] = dict(message.content or {})
    lines: list[str] = []
    if "latitude" in content and "longitude" in content:
        place = ", ".join(str(content[k]) for k in ("name", "address") if content.get(k))
        lines.append(f"Location: {place} ({content['latitude']}, {content['longitude']})".strip())
    cards = content.get("contacts")
    for card in cards if isinstance(cards, list) else []:
        if isinstance(card, dict):
            numbers = card.get("phones")
            phones = ", ".join(
                str(p.get("phone"))
                for p in (numbers if isinstance(numbers, list) else [])
                if isinstance(p, dict)
            )
            lines.append(f"Contact: {card.get('name') or ''} {phones}".strip())
    if message.type == "reaction":
        if content.get("removed"):
            lines.append("Removed a reaction")
        else:
            lines.append(f"Reacted {content.get('emoji') or ''} to a message")
    return lines


async def thread(tx: Tx, principal: Principal, contact: Contact) -> list[ThreadItem]:
    """The conversation's latest messages and its private notes, oldest first."""
    found, _total = await messages.list_messages(
        tx,
        principal,
        PageRequest(page=1, pageSize=THREAD_LENGTH),
        MessageFilters(contactId=contact.id, fromDate=_BEGINNING),
    )
    items = [
        ThreadItem(kind="message", at=m.dateTime, message=m, details=details_of(m)) for m in found
    ]
    notes = await conversations.list_notes(tx, principal, contact_id=contact.id)
    if notes:
        authors = {user_id: email for user_id, email in await colleagues(tx, principal)}
        oldest = min((m.dateTime for m in found), default=None)
        items += [
            ThreadItem(
                kind="note",
                at=note.createdAt,
                note_text=note.body,
                note_author=authors.get(note.authorId, "a former user")
                if note.authorId
                else "a former user",
            )
            for note in notes
            # Only the notes of the stretch of thread shown.
            if len(found) < THREAD_LENGTH or oldest is None or note.createdAt >= oldest
        ]
    items.sort(key=lambda item: item.at)
    return items


async def colleagues(tx: Tx, principal: Principal) -> list[tuple[uuid.UUID, str]]:
    """The organisation's active users: whom a conversation may be given to (the service
    decides whether that one may take it)."""
    users = await auth.list_users(tx, org_id=principal.org_id)
    return [(user.id, user.email) for user in users if not user.disabled]


async def approved_templates(
    tx: Tx, principal: Principal, account_id: uuid.UUID
) -> list[TemplateChoice]:
    found, _total = await templates.list_templates(
        tx,
        principal,
        PageRequest(page=1, pageSize=500),
        account_id=account_id,
        status=TemplateStatus.approved,
    )
    return [
        TemplateChoice(t.id, t.name, t.language, t.text, placeholders.numbers(t.text))
        for t in found
        if t.header_type is None  # a media header needs an upload: the API sends those
    ]


async def conversation(
    tx: Tx, principal: Principal, *, inbox_id: uuid.UUID, contact_id: uuid.UUID
) -> Conversation:
    inbox, contact = await contact_in_inbox(tx, principal, inbox_id=inbox_id, contact_id=contact_id)
    closes_at = window.closes_at(contact.last_inbound_at)
    return Conversation(
        inbox_id=inbox.id,
        account_id=inbox.account_id,
        contact=contact,
        items=await thread(tx, principal, contact),
        window_closes_at=closes_at,
        window_open=window.is_open(contact.last_inbound_at, now=utcnow()),
        templates=await approved_templates(tx, principal, inbox.account_id),
        teamwork=await conversations.get_conversation(tx, principal, contact_id=contact.id),
        canned=await conversations.list_canned_replies(tx, principal),
        colleagues=await colleagues(tx, principal),
    )


_SHOW: tuple[Show, ...] = get_args(Show)
_ASSIGNEE: tuple[AssigneeFilter, ...] = get_args(AssigneeFilter)
_STATUS: tuple[StatusFilter, ...] = get_args(StatusFilter)


def _one_of(value: str, allowed: tuple[T, ...], default: T) -> T:
    return next((a for a in allowed if a == value), default)


@dataclass(frozen=True, slots=True)
class InboxFilters:
    """The list's filters as the page's form sends them (unknown values fall back to all)."""

    show: str = "all"
    assignee: str = "all"
    status: str = "open"
    search: str = ""


async def inbox(
    tx: Tx, principal: Principal, *, inbox_id: uuid.UUID, filters: InboxFilters
) -> tuple[Inbox, list[ConversationView]]:
    found = await accounts.get_inbox(tx, principal, inbox_id)
    listed = await conversations.list_conversations(
        tx,
        principal,
        inbox_id=inbox_id,
        show=_one_of(filters.show, _SHOW, "all"),
        assignee=_one_of(filters.assignee, _ASSIGNEE, "all"),
        status=_one_of(filters.status, _STATUS, "open"),
        search=filters.search or None,
        limit=100,
    )
    return found, listed
