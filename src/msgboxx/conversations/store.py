"""Every statement on conversations, their notes and canned replies.

A thread's activity is written on the message paths (an accept, an intake
batch), so it is one prepared upsert per transaction (an executemany for a
batch), like the accept's own statements. The inbox's page is one query joining the contacts, the
assignees and the last messages (see the import contract for why).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from msgboxx.accounts.models import Inbox
from msgboxx.auth.models import User
from msgboxx.contacts.models import Contact
from msgboxx.conversations.models import (
    CannedReply,
    Conversation,
    ConversationNote,
    ConversationStatus,
)
from msgboxx.db import dialect
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx
from msgboxx.messages.models import Message

_CONVERSATIONS = cast(Table, Conversation.__table__)
_c = _CONVERSATIONS.c

# Every column, so that no Python-side default is compiled into a prepared statement.
ACTIVITY_COLUMNS = (
    "contact_id",
    "account_id",
    "status",
    "assignee_id",
    "last_activity_at",
    "last_message_id",
    "unread_count",
    "last_read_at",
    "resolved_at",
    "updated_at",
)


def _upsert(insert: dialect.Upsert) -> Any:
    """The thread's newest message wins; unread adds up; a customer's message opens it.

    ``resolved_at`` is left as it was, so that the rows a customer's message
    reopened can be told from the answer (their status is open while
    ``resolved_at`` still says when they were resolved); :func:`clear_reopened`
    then clears it for those few.
    """
    new = insert.excluded
    newer = new.last_activity_at >= _c.last_activity_at
    return insert.on_conflict_do_update(
        index_elements=[_c.contact_id],
        set_={
            "last_activity_at": case((newer, new.last_activity_at), else_=_c.last_activity_at),
            "last_message_id": case((newer, new.last_message_id), else_=_c.last_message_id),
            "unread_count": _c.unread_count + new.unread_count,
            "status": case((new.unread_count > 0, ConversationStatus.open.value), else_=_c.status),
            "updated_at": new.updated_at,
        },
    )


# Open now while it still says when it was resolved: a customer's message just reopened it.
_REOPENED = and_(_c.status == ConversationStatus.open.value, _c.resolved_at.is_not(None))
# Per dialect, built at first use (``dialect.insert`` needs a unit of work to know which).
_TOUCH: dict[str, Prepared] = {}
_TOUCH_ONE: dict[str, Prepared] = {}


def _prepared(tx: Tx, *, returning: bool) -> Prepared:
    made = _TOUCH_ONE if returning else _TOUCH
    found = made.get(tx.dialect)
    if found is None:
        statement = _upsert(dialect.insert(tx, _CONVERSATIONS))
        if returning:
            statement = statement.returning(_REOPENED)
        found = made[tx.dialect] = Prepared(statement, column_keys=ACTIVITY_COLUMNS)
    return found


async def touch(tx: Tx, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert threads' activity in one statement (executemany for several)."""
    if len(rows) == 1:
        await _prepared(tx, returning=False).execute(tx, rows[0])
    else:
        await _prepared(tx, returning=False).execute_many(tx, rows)


async def touch_reopens(tx: Tx, row: dict[str, Any]) -> bool:
    """Upsert one thread's activity; whether that reopened it (see :func:`clear_reopened`)."""
    found = await _prepared(tx, returning=True).first(tx, row)
    return found is not None and bool(found[0])


_CLEAR_REOPENED = Prepared(
    update(_CONVERSATIONS)
    .where(_c.contact_id.in_(bindparam("ids", expanding=True)), _REOPENED)
    .values(resolved_at=null(), updated_at=_c.updated_at)  # set just now by the upsert
    .returning(_c.contact_id)
)


async def clear_reopened(tx: Tx, contact_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Of these threads, those the upsert just reopened, now no longer marked resolved."""
    return [row[0] for row in await _CLEAR_REOPENED.all(tx, {"ids": list(contact_ids)})]


@dataclass(frozen=True, slots=True)
class Thread:
    """A contact's thread as the inbox shows it: one row of the page's query."""

    contact_id: uuid.UUID
    account_id: uuid.UUID
    inbox_id: uuid.UUID
    contact_name: str | None
    mobile_number: str | None
    whatsapp_user_id: str | None
    last_inbound_at: datetime | None
    status: str | None
    assignee_id: uuid.UUID | None
    assignee_email: str | None
    last_activity_at: datetime | None
    unread_count: int | None
    last_message_id: uuid.UUID | None
    message_direction: str | None
    message_text: str | None
    message_kind: str | None
    message_status: str | None
    message_at: datetime | None


def _threads() -> Select[*tuple[Any, ...]]:
    """Contacts with their thread, assignee and last message, and their account's inbox."""
    return (
        select(
            Contact.id,
            Contact.account_id,
            Inbox.id,
            Contact.name,
            Contact.mobile_number,
            Contact.whatsapp_user_id,
            Contact.last_inbound_at,
            Conversation.status,
            Conversation.assignee_id,
            User.email,
            Conversation.last_activity_at,
            Conversation.unread_count,
            Message.id,
            Message.direction,
            Message.text,
            Message.kind,
            Message.status,
            Message.created_at,
        )
        .join(Inbox, Inbox.account_id == Contact.account_id)
        .outerjoin(Conversation, Conversation.contact_id == Contact.id)
        .outerjoin(User, User.id == Conversation.assignee_id)
        .outerjoin(Message, Message.id == Conversation.last_message_id)
    )


async def thread(tx: Tx, *, contact_id: uuid.UUID, visible: Select[uuid.UUID]) -> Thread | None:
    """A visible contact's thread (empty when it has no messages yet)."""
    query = _threads().where(Contact.id == contact_id, Contact.account_id.in_(visible))
    row = (await tx.session.execute(query)).first()
    return Thread(*row) if row is not None else None


async def threads(tx: Tx, contact_ids: Sequence[uuid.UUID]) -> list[Thread]:
    """Threads by contact, whoever may see them: for a caller that found them visible."""
    query = _threads().where(Contact.id.in_(list(contact_ids)))
    return [Thread(*row) for row in await tx.session.execute(query)]


async def page(
    tx: Tx,
    *,
    account_id: uuid.UUID,
    unread: bool,
    window_open_since: datetime | None,
    assignee: uuid.UUID | bool | None,
    status: str | None,
    name: str | None,
    digits: str | None,
    before: datetime | None,
    limit: int,
) -> list[Thread]:
    """An inbox's threads, newest activity first; ``assignee`` True: anyone, None: nobody."""
    where: list[ColumnElement[bool]] = [Conversation.account_id == account_id]
    if unread:
        where.append(Conversation.unread_count > 0)
    if window_open_since is not None:
        where.append(Contact.last_inbound_at > window_open_since)
    if assignee is None:
        where.append(Conversation.assignee_id.is_(None))
    elif assignee is not True:
        where.append(Conversation.assignee_id == assignee)
    if status is not None:
        where.append(Conversation.status == status)
    if name is not None or digits is not None:
        matches: list[ColumnElement[bool]] = []
        if name is not None:
            matches.append(func.lower(Contact.name).contains(name.lower(), autoescape=True))
        if digits is not None:
            matches.append(Contact.mobile_number.contains(digits, autoescape=True))
            matches.append(Contact.whatsapp_user_id.contains(digits, autoescape=True))
        where.append(or_(*matches) if matches else false())
    if before is not None:
        where.append(Conversation.last_activity_at < before)
    query = (
        _threads()
        .where(and_(*where))
        .order_by(Conversation.last_activity_at.desc(), Conversation.contact_id.desc())
        .limit(limit)
    )
    return [Thread(*row) for row in await tx.session.execute(query)]


async def ensure(tx: Tx, *, contact_id: uuid.UUID, account_id: uuid.UUID, now: datetime) -> None:
    """A thread with no message yet, for teamwork on a contact nobody has written to."""
    await tx.session.execute(
        dialect.insert(tx, _CONVERSATIONS)
        .values(
            contact_id=contact_id,
            account_id=account_id,
            status=ConversationStatus.open.value,
            last_activity_at=now,
            unread_count=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[_c.contact_id])
    )


async def state(tx: Tx, contact_id: uuid.UUID) -> tuple[str, uuid.UUID | None] | None:
    """A thread's status and assignee."""
    row = (
        await tx.session.execute(
            select(_c.status, _c.assignee_id).where(_c.contact_id == contact_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def change(tx: Tx, *, contact_id: uuid.UUID, values: dict[str, Any]) -> None:
    await tx.session.execute(
        update(_CONVERSATIONS).where(_c.contact_id == contact_id).values(**values)
    )


async def add_note(tx: Tx, note: ConversationNote) -> None:
    tx.session.add(note)
    await tx.session.flush()


async def notes(tx: Tx, *, contact_id: uuid.UUID) -> list[ConversationNote]:
    query = (
        select(ConversationNote)
        .where(ConversationNote.contact_id == contact_id)
        .order_by(ConversationNote.created_at, ConversationNote.id)
    )
    return list((await tx.session.scalars(query)).all())


async def canned_replies(tx: Tx, *, org_id: uuid.UUID) -> list[CannedReply]:
    query = select(CannedReply).where(CannedReply.org_id == org_id).order_by(CannedReply.shortcut)
    return list((await tx.session.scalars(query)).all())


async def canned_reply(tx: Tx, *, org_id: uuid.UUID, reply_id: uuid.UUID) -> CannedReply | None:
    query = (
        select(CannedReply)
        .where(CannedReply.id == reply_id, CannedReply.org_id == org_id)
        .execution_options(populate_existing=True)
    )
    return (await tx.session.scalars(query)).first()


async def shortcut_taken(
    tx: Tx, *, org_id: uuid.UUID, shortcut: str, other_than: uuid.UUID | None = None
) -> bool:
    query = select(CannedReply.id).where(
        CannedReply.org_id == org_id, CannedReply.shortcut == shortcut
    )
    if other_than is not None:
        query = query.where(CannedReply.id != other_than)
    return (await tx.session.scalar(query)) is not None


async def add_canned_reply(tx: Tx, reply: CannedReply) -> bool:
    """False when the shortcut is taken (a concurrent create may have won)."""
    try:
        async with tx.session.begin_nested():
            tx.session.add(reply)
    except IntegrityError:
        return False
    return True


async def change_canned_reply(tx: Tx, *, reply_id: uuid.UUID, values: dict[str, Any]) -> bool:
    """Write a reply's changes; False when its new shortcut is taken."""
    try:
        async with tx.session.begin_nested():
            await tx.session.execute(
                update(CannedReply).where(CannedReply.id == reply_id).values(**values)
            )
    except IntegrityError:
        return False
    return True


async def delete_canned_reply(tx: Tx, *, org_id: uuid.UUID, reply_id: uuid.UUID) -> bool:
    result = await tx.session.execute(
        delete(CannedReply).where(CannedReply.id == reply_id, CannedReply.org_id == org_id)
    )
    return bool(getattr(result, "rowcount", 0))
