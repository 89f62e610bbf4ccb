"""The record of each piece of media: whose it is, what it is, and where its bytes are.

The bytes live in a :class:`~msgboxx.media.storage.MediaStore`; this row is
what tenancy, the API and the background fetch read. A customer's media is
recorded as soon as its message arrives (``pending``) and fetched from the
network afterwards, so the message is never held up or lost by a download.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from msgboxx.db import Base, UTCDateTime, new_id, utcnow


class MediaStatus(StrEnum):
    """``stored``: the bytes are in the store. ``pending``: a fetch is due. ``failed``: it
    gave up (the message stays, showing ``media.status: failed``)."""

    stored = "stored"
    pending = "pending"
    failed = "failed"


class MediaSource(StrEnum):
    upload = "upload"  # POST /media
    url = "url"  # a `media.url` of POST /message, fetched by us
    inbound = "inbound"  # a customer's message, fetched from the network


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (
        Index("ix_media_organisation_created", "organisation_id", "created_at"),
        Index("ix_media_contact", "contact_id"),
        # What the background fetch reads: the pending, oldest due first.
        Index(
            "ix_media_due",
            "next_attempt_at",
            sqlite_where=text("next_attempt_at IS NOT NULL"),
            postgresql_where=text("next_attempt_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    # The number it came through or was uploaded for, when there is one.
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_accounts.id", ondelete="CASCADE")
    )
    # The customer it came from: erasing the contact erases it.
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))  # MediaKind
    mime_type: Mapped[str | None] = mapped_column(String(120))
    filename: Mapped[str | None] = mapped_column(String(240))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))  # MediaStatus
    # The key of the bytes in the media store, once stored.
    store_key: Mapped[str | None] = mapped_column(String(512))
    # The network's id of inbound media, and the sha256 it promised.
    provider_media_id: Mapped[str | None] = mapped_column(String(200))
    provider_sha256: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The background fetch's queue: due when next_attempt_at <= now and no live lease.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
