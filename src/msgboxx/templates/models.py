"""Templates of an account, with the channel's verdict."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msgboxx.db import Base, UTCDateTime, new_id, utcnow

# Defined apart so that channels and other domains need not import this table;
# kept importable from here for the callers that still do.
from msgboxx.templates.status import TemplateStatus as TemplateStatus


class Template(Base):
    __tablename__ = "templates"
    __table_args__ = (
        UniqueConstraint("account_id", "name", "language"),
        Index("ix_templates_account_created", "account_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(20), default="en")
    category: Mapped[str] = mapped_column(String(20), default="UTILITY")
    status: Mapped[str] = mapped_column(String(20), default=TemplateStatus.pending)
    text: Mapped[str] = mapped_column(Text)
    example: Mapped[str | None] = mapped_column(Text)
    # A media header (image, video or document) that each send fills in; None: no header.
    header_type: Mapped[str | None] = mapped_column(String(10))
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    provider_template_id: Mapped[str | None] = mapped_column(String(100))
    # The network's own word (e.g. PAUSED, DISABLED) beside our three statuses.
    provider_status: Mapped[str | None] = mapped_column(String(30))
    # Null while a Pending template still waits to be handed to the channel.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
