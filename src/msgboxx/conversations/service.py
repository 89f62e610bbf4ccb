"""The shared inbox's rules: what a team sees of its threads, and what it does with them.

Other domains use this module: the messages domain records each message's
thread here (``record_activity``); the API's routes and the web inbox's pages
call the rest, so each rule is written once.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.auth.roles import Role
from msgboxx.auth.service import Principal
from msgboxx.conversations import store, views
from msgboxx.conversations.activity import Activity
from msgboxx.conversations.activity import record as _record
from msgboxx.conversations.canned import (
    create_canned_reply,
    delete_canned_reply,
    list_canned_replies,
    update_canned_reply,
)
from msgboxx.conversations.models import ConversationNote, ConversationStatus
from msgboxx.conversations.schemas import (
    NOTE_MAX,
    AssigneeFilter,
    ConversationView,
    NoteOut,
    Show,
    StatusFilter,
)
from msgboxx.core.errors import NotFound, Unprocessable
from msgboxx.core.events import EventType
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.messages import window

__all__ = [
    "Activity",
    "ConversationView",
    "add_note",
    "assign",
    "create_canned_reply",
    "delete_canned_reply",
    "get_conversation",
    "list_canned_replies",
    "list_conversations",
    "list_notes",
    "mark_read",
    "record_activity",
    "reopen",
    "resolve",
    "update_canned_reply",
]

_NOT_DIGITS = re.compile(r"\D")
# ``store.page``'s assignee: True for anyone, None for nobody.
_ASSIGNEES: dict[str, bool | None] = {"all": True, "unassigned": None}


async def record_activity(tx: Tx, activities: list[Activity]) -> None:
    """The threads of messages just written in ``tx``: one statement for them all."""
    await _record(tx, activities, now=utcnow())


async def list_conversations(
    tx: Tx,
    principal: Principal,
    *,
    inbox_id: uuid.UUID,
    show: Show = "all",
    assignee: AssigneeFilter = "all",
    status: StatusFilter = "all",
    search: str | None = None,
    limit: int = 50,
    before: datetime | None = None,
) -> list[ConversationView]:
    """An inbox's threads, the latest activity first; ``before`` pages on to older ones.

    404 for an inbox the principal may not see. ``search`` matches the
    contact's name (any case) or the digits of its number.
    """
    inbox = await accounts.get_inbox(tx, principal, inbox_id)
    now = utcnow()
    name = digits = None
    if search is not None and search.strip():
        name = search.strip()
        digits = _NOT_DIGITS.sub("", search) or None
    threads = await store.page(
        tx,
        account_id=inbox.account_id,
        unread=show == "unread",
        window_open_since=window.open_since(now) if show == "window_open" else None,
        assignee=_ASSIGNEES[assignee] if assignee != "mine" else principal.user_id,
        status=None if status == "all" else status,
        name=name,
        digits=digits,
        before=before,
        limit=max(1, min(limit, 500)),
    )
    return [views.view_of(thread, now=now) for thread in threads]


async def get_conversation(
    tx: Tx, principal: Principal, *, contact_id: uuid.UUID
) -> ConversationView:
    """A visible contact's thread; empty (not a 404) when nobody has written yet."""
    return views.view_of(await _visible(tx, principal, contact_id), now=utcnow())


async def _visible(tx: Tx, principal: Principal, contact_id: uuid.UUID) -> store.Thread:
    found = await store.thread(
        tx, contact_id=contact_id, visible=accounts.visible_account_ids(principal)
    )
    if found is None:
        raise NotFound(f"contact {contact_id} was not found")
    return found


async def _change(
    tx: Tx,
    principal: Principal,
    contact_id: uuid.UUID,
    values: dict[str, object],
    *,
    announce: EventType | None,
) -> ConversationView:
    """Change a visible thread (made if it has no message yet) and show it as it now stands."""
    thread = await _visible(tx, principal, contact_id)
    now = utcnow()
    if thread.status is None:
        await store.ensure(tx, contact_id=contact_id, account_id=thread.account_id, now=now)
    await store.change(tx, contact_id=contact_id, values={**values, "updated_at": now})
    if announce is not None:
        [view] = await views.announce(tx, [contact_id], event_type=announce)
        return view
    [changed] = await store.threads(tx, [contact_id])
    return views.view_of(changed, now=now)


async def mark_read(tx: Tx, principal: Principal, *, contact_id: uuid.UUID) -> ConversationView:
    """Nothing unread in the thread any more, as of now."""
    return await _change(
        tx,
        principal,
        contact_id,
        {"unread_count": 0, "last_read_at": utcnow()},
        announce=None,
    )


async def assign(
    tx: Tx, principal: Principal, *, contact_id: uuid.UUID, assignee_id: uuid.UUID | None
) -> ConversationView:
    """Give the thread to a user who may see its account, or (None) back to the queue.

    The assignee must be an active user of the caller's organisation: an admin,
    or an agent assigned to the thread's account (else 422).
    """
    thread = await _visible(tx, principal, contact_id)
    if assignee_id is not None:
        await _check_assignee(tx, principal, assignee_id, account_id=thread.account_id)
    return await _change(
        tx,
        principal,
        contact_id,
        {"assignee_id": assignee_id},
        announce=EventType.conversation_assigned,
    )


async def _check_assignee(
    tx: Tx, principal: Principal, assignee_id: uuid.UUID, *, account_id: uuid.UUID
) -> None:
    user = await auth.get_user(tx, user_id=assignee_id)
    if user is None or user.org_id != principal.org_id or user.disabled:
        raise Unprocessable.for_field(
            "assigneeId", "no active user of this organisation has this id"
        )
    if Role(user.role) is Role.admin:
        return
    try:
        await accounts.get(tx, auth.principal_of(user), account_id)
    except NotFound:
        raise Unprocessable.for_field(
            "assigneeId", "this agent is not assigned to the conversation's API account"
        ) from None


async def resolve(tx: Tx, principal: Principal, *, contact_id: uuid.UUID) -> ConversationView:
    """Done with for now; the customer's next message opens it again."""
    return await _change(
        tx,
        principal,
        contact_id,
        {"status": ConversationStatus.resolved.value, "resolved_at": utcnow()},
        announce=EventType.conversation_status,
    )


async def reopen(tx: Tx, principal: Principal, *, contact_id: uuid.UUID) -> ConversationView:
    return await _change(
        tx,
        principal,
        contact_id,
        {"status": ConversationStatus.open.value, "resolved_at": None},
        announce=EventType.conversation_status,
    )


def _note_out(note: ConversationNote) -> NoteOut:
    return NoteOut(
        noteId=note.id,
        contactId=note.contact_id,
        accountId=note.account_id,
        authorId=note.author_id,
        body=note.body,
        createdAt=note.created_at,
    )


async def add_note(tx: Tx, principal: Principal, *, contact_id: uuid.UUID, body: str) -> NoteOut:
    """A private note in the thread: never sent, and no change to what is unread."""
    if not body.strip() or len(body) > NOTE_MAX:
        raise Unprocessable.for_field("body", f"must be 1 to {NOTE_MAX} characters")
    thread = await _visible(tx, principal, contact_id)
    note = ConversationNote(
        id=uuid.uuid4(),
        contact_id=contact_id,
        account_id=thread.account_id,
        author_id=principal.user_id,
        body=body,
        created_at=utcnow(),
    )
    await store.add_note(tx, note)
    shown = _note_out(note)
    tx.emit(account_id=thread.account_id, event_type=EventType.conversation_note, data=shown)
    return shown


async def list_notes(tx: Tx, principal: Principal, *, contact_id: uuid.UUID) -> list[NoteOut]:
    """The thread's notes, oldest first."""
    await _visible(tx, principal, contact_id)
    return [_note_out(note) for note in await store.notes(tx, contact_id=contact_id)]
