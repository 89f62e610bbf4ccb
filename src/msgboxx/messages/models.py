"""Messages in both directions; outbound ones double as the dispatch queue.

Keeping the queue in the message row (``next_attempt_at``, ``lease_until``) means
the accept transaction writes one row, and nothing else holds the only copy.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, PrimaryKeyConstraint, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from msgboxx.db import Base, UTCDateTime, new_id, utcnow

# The kinds of a session message that carries media, as SQL (the media lane's index).
MEDIA_KINDS = ("image", "audio", "video", "document", "sticker")
MEDIA_KINDS_SQL = ", ".join(f"'{kind}'" for kind in MEDIA_KINDS)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_account_created", "account_id", "created_at"),
        Index("ix_messages_inbox_created", "inbox_id", "created_at"),
        Index("ix_messages_contact_created", "contact_id", "created_at"),
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        Index(
            "ix_messages_due",
            "next_attempt_at",
            sqlite_where=text("next_attempt_at IS NOT NULL"),
            postgresql_where=text("next_attempt_at IS NOT NULL"),
        ),
        Index("uq_messages_provider_message_id", "provider_message_id", unique=True),
        # A number's queue, lane by lane, oldest first: what a claim reads.
        Index(
            "ix_messages_account_lane_due",
            "account_id",
            "kind",
            "next_attempt_at",
            sqlite_where=text("next_attempt_at IS NOT NULL"),
            postgresql_where=text("next_attempt_at IS NOT NULL"),
        ),
        # The media lane of a claim (messages/queue_store.py): session media due, by
        # number; usually empty, so the lane's query costs a probe of an empty index.
        Index(
            "ix_messages_account_media_due",
            "account_id",
            "next_attempt_at",
            sqlite_where=text(f"next_attempt_at IS NOT NULL AND kind IN ({MEDIA_KINDS_SQL})"),
            postgresql_where=text(f"next_attempt_at IS NOT NULL AND kind IN ({MEDIA_KINDS_SQL})"),
        ),
        # The messages showing a media record: what deleting one must find (ON DELETE SET NULL).
        Index(
            "ix_messages_media",
            "media_id",
            sqlite_where=text("media_id IS NOT NULL"),
            postgresql_where=text("media_id IS NOT NULL"),
        ),
        # What is still queued for each contact, in its line's order (LINE_AT): keeps
        # per-contact order cheap. An expression, the claim's own, so both databases use it.
        Index(
            "ix_messages_contact_queue",
            "contact_id",
            func.coalesce(text("send_at"), text("created_at")),
            sqlite_where=text("next_attempt_at IS NOT NULL"),
            postgresql_where=text("next_attempt_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_accounts.id", ondelete="CASCADE"))
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    conversation_id: Mapped[uuid.UUID]
    direction: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20), default="text")
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("templates.id", ondelete="SET NULL")
    )
    template_parameters: Mapped[list[str] | None] = mapped_column(JSON)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The dispatch queue: due when next_attempt_at <= now and no live lease.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    # What a message holds beyond its text: a location's coordinates, a Flow
    # reply's data, a reaction... (``messages.content``), and its media, if any.
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL", name="fk_messages_media_id_media")
    )
    # (Extension) When a scheduled message is due: its first attempt, and its place in
    # its contact's line (a scheduled message waits behind nothing accepted before it
    # is due, and blocks nothing meanwhile). None: sent as soon as accepted.
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingStatusReport(Base):
    """A status report that arrived before we recorded its provider id.

    The network may report ``sent`` before the dispatcher has committed the id it
    got back; such reports wait here and are applied when the id is recorded.
    """

    __tablename__ = "pending_status_reports"
    __table_args__ = (
        PrimaryKeyConstraint("provider_message_id", "status"),
        Index("ix_pending_status_reports_received", "received_at"),
    )

    provider_message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    # The account the network reported to: the report applies to its message only.
    account_id: Mapped[uuid.UUID | None]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
