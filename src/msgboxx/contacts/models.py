"""Contacts: one per phone number, and one per WhatsApp user id, per account."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msgboxx.contacts.status import ContactStatus as ContactStatus  # re-exported
from msgboxx.db import Base, UTCDateTime, new_id, utcnow


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("account_id", "mobile_number"),
        Index("ix_contacts_mobile_number", "mobile_number"),
        Index(
            "uq_contacts_account_whatsapp_user_id", "account_id", "whatsapp_user_id", unique=True
        ),
        Index("ix_contacts_account_created", "account_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_accounts.id", ondelete="CASCADE"))
    # None only for a customer known by their WhatsApp user id alone (a username
    # hides the number); the user id (BSUID, ``US.1234``) is kept as received.
    mobile_number: Mapped[str | None] = mapped_column(String(20))
    whatsapp_user_id: Mapped[str | None] = mapped_column(String(140))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default=ContactStatus.subscribed)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
