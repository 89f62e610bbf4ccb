"""Pacing state shared by every dispatcher process, kept in the database.

Each row holds a GCRA "theoretical arrival time": the moment the next message
would be due if sends had gone out exactly at the allowed rate. A claim reads
it under a row lock, takes only what the rate allows, and moves it on, so the
limit holds for all workers together rather than per process.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from msgboxx.db import Base, UTCDateTime


class NumberPacing(Base):
    """The throughput tier of one business number (Meta: 80/s, up to 1,000/s)."""

    __tablename__ = "number_pacing"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tat: Mapped[datetime] = mapped_column(UTCDateTime)


class RecipientPacing(Base):
    """The pair rate limit towards one customer (Meta: 1 per 6 s, bursts of 45)."""

    __tablename__ = "recipient_pacing"

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tat: Mapped[datetime] = mapped_column(UTCDateTime)
