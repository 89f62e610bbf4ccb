"""A conversation's teamwork state, notes in its thread, and canned replies."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msgboxx.db import Base, UTCDateTime, new_id, utcnow


class ConversationStatus(StrEnum):
    """``open`` until an agent resolves it; a new customer message opens it again."""

    open = "open"
    resolved = "resolved"


class Conversation(Base):
    """One row per contact that has a thread (each contact belongs to one account, one inbox).

    ``last_activity_at`` and ``unread_count`` are kept here rather than computed
    from ``messages``: an inbox lists its conversations by last activity, and a
    GROUP BY over millions of messages per page view would not hold.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_account_activity", "account_id", "last_activity_at"),
        Index("ix_conversations_assignee", "assignee_id"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_accounts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default=ConversationStatus.open)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The newest message in the thread, for the inbox's preview (no foreign key: erasure
    # deletes messages, and a stale id simply shows no preview).
    last_message_id: Mapped[uuid.UUID | None]
    unread_count: Mapped[int] = mapped_column(default=0)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConversationNote(Base):
    """A private note in a thread: agents see it, the customer never does."""

    __tablename__ = "conversation_notes"
    __table_args__ = (Index("ix_conversation_notes_contact_created", "contact_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_accounts.id", ondelete="CASCADE"))
    # Kept when the user is deleted (the note stays, unattributed).
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CannedReply(Base):
    """A reply an organisation's agents insert with ``/shortcut`` in the composer."""

    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("org_id", "shortcut"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
