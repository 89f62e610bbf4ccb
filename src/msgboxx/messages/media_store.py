"""The statement that finds the message a piece of media came with (``inbound.announce_media``)."""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import Table, select

from msgboxx.db.tx import Tx
from msgboxx.messages.models import Message
from msgboxx.messages.rows import COLUMNS, MessageRow

_MESSAGES = cast(Table, Message.__table__)
_m = _MESSAGES.c
_ROW = tuple(_m[column] for column in COLUMNS)


async def carrying(tx: Tx, *, media_id: uuid.UUID, contact_id: uuid.UUID) -> MessageRow | None:
    """The contact's message that carries ``media_id``.

    Looked up through the contact's index: ``messages.media_id`` has none of its own.
    """
    found = await tx.session.execute(
        select(*_ROW).where(_m.contact_id == contact_id, _m.media_id == media_id).limit(1)
    )
    row = found.first()
    return MessageRow(*row) if row is not None else None
