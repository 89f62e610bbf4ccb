"""A campaign, and its recipients: the audience resolved once, one row per contact.

The recipient row is the campaign's queue: ``pending`` until the runner turns it
into a queued message (``queued``, with the message's id) or skips it, in the
same transaction, so a recipient is queued exactly once whoever runs it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, text
from sqlalchemy.orm import Mapped, mapped_column

from msgboxx.campaigns.status import CampaignStatus
from msgboxx.db import Base, UTCDateTime, new_id, utcnow


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_account_created", "account_id", "created_at"),
        # What the runner looks for: campaigns still to start or still sending.
        Index(
            "ix_campaigns_active",
            "status",
            "send_at",
            sqlite_where=text("status IN ('scheduled', 'running', 'waiting')"),
            postgresql_where=text("status IN ('scheduled', 'running', 'waiting')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_accounts.id", ondelete="CASCADE"))
    # Who created it: the campaign acts for them (as their organisation) when it sends.
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(200))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("templates.id", ondelete="SET NULL")
    )
    # {"tags": [...]} | {"contactIds": [...]} | {"all": true}, as the API took it.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    # One expression per placeholder: "{{contact.name}}", "{{attributes.order}}", fixed text.
    parameters: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=CampaignStatus.scheduled)
    # Why it stopped by itself (its template is no longer Approved), if it did.
    status_reason: Mapped[str | None] = mapped_column(String(500))
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    targeted: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When campaign.progress was last announced (they are throttled).
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignRecipient(Base):
    __tablename__ = "campaign_recipients"
    __table_args__ = (
        PrimaryKeyConstraint("campaign_id", "contact_id"),
        # A campaign's queue in order, and its counts by state.
        Index("ix_campaign_recipients_state", "campaign_id", "state", "contact_id"),
        Index(
            "ix_campaign_recipients_message",
            "message_id",
            sqlite_where=text("message_id IS NOT NULL"),
            postgresql_where=text("message_id IS NOT NULL"),
        ),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # No foreign key: an erased contact's row stays, so the campaign's counts still add up.
    contact_id: Mapped[uuid.UUID] = mapped_column()
    state: Mapped[str] = mapped_column(String(10))
    message_id: Mapped[uuid.UUID | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(30))
