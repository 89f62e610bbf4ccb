"""Organisations and their users."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from msgboxx.auth.roles import Role as Role  # re-exported
from msgboxx.db import Base, UTCDateTime, new_id, utcnow


class Organisation(Base):
    """A tenant: nothing crosses from one organisation to another."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # WhatsApp's messaging tier of the business portfolio (msgboxx.core.tiers); None: the
    # server's default (MSGBOXX_MESSAGING_TIER_DEFAULT). Set by an admin or by Meta's webhooks.
    messaging_tier: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # Kept rather than deleted so that what the user did stays attributed to them.
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateLimitHit(Base):
    """Failed-attempt counters in fixed windows, shared by every process."""

    __tablename__ = "rate_limit_hits"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    window_start: Mapped[int] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)


class WebSession(Base):
    """A signed-in browser of the agents' web inbox (``/app/``).

    Kept server-side so that signing out, disabling a user or deleting them ends
    the session at once. The cookie carries a random secret; only its SHA-256 is
    stored, so a copy of the table signs nobody in.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's secret
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Sent back with every state-changing request (a form field or X-CSRF-Token).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
