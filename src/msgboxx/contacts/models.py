"""Contacts: one per phone number, and one per WhatsApp user id, per account."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, PrimaryKeyConstraint, String, UniqueConstraint
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
    # A business's own fields (``{"order": "A-17", "city": "Lagos"}``): strings, filled into
    # campaign parameters as ``{{attributes.order}}``.
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ContactTag(Base):
    """A label on a contact (``vip``, ``newsletter``): what segments and campaigns select by.

    A table rather than a JSON list so that "the account's contacts tagged X" is an
    index range on both SQLite and PostgreSQL.
    """

    __tablename__ = "contact_tags"
    __table_args__ = (
        PrimaryKeyConstraint("contact_id", "tag"),
        Index("ix_contact_tags_account_tag", "account_id", "tag", "contact_id"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_accounts.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))
