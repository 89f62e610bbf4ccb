"""API accounts, their one inbox each, and agent assignments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from msgboxx.db import Base, UTCDateTime, new_id, utcnow


class ApiAccount(Base):
    """One WhatsApp business phone number of an organisation."""

    __tablename__ = "api_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    phone_number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(4))
    channel: Mapped[str] = mapped_column(String(30), default="sandbox")
    channel_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # "ok" or "unhealthy" (the network refused the credentials), with the reason.
    channel_status: Mapped[str] = mapped_column(String(20), default="ok", server_default="ok")
    channel_status_reason: Mapped[str | None] = mapped_column(String(500))
    # The number's quality as Meta last reported it (GREEN, YELLOW, RED; None: never told).
    quality: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Inbox(Base):
    """Where an account's conversations live; exactly one per account."""

    __tablename__ = "inboxes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_accounts.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountAgent(Base):
    """An agent assigned to an account; agents see only these accounts."""

    __tablename__ = "account_agents"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
