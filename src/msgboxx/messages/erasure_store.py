"""The statements of a contact's erasure on ``messages``: what was queued fails, the words go."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import Table, update

from msgboxx.db.tx import Tx
from msgboxx.messages.models import Message
from msgboxx.messages.status import MessageStatus

_MESSAGES = cast(Table, Message.__table__)
_m = _MESSAGES.c


async def fail_pending_of_contact(
    tx: Tx, *, contact_id: uuid.UUID, at: datetime, reason: str
) -> None:
    """Fail the contact's messages still Pending, and take them off the queue."""
    await tx.session.execute(
        update(_MESSAGES)
        .where(_m.contact_id == contact_id, _m.status == MessageStatus.pending)
        .values(
            status=MessageStatus.failed, failed_at=at, failure_reason=reason, next_attempt_at=None
        )
    )


async def blank_text_of_contact(tx: Tx, *, contact_id: uuid.UUID) -> None:
    """The words go: the text, what the message held beyond it, and its media."""
    await tx.session.execute(
        update(_MESSAGES)
        .where(_m.contact_id == contact_id)
        .values(text=None, content=None, media_id=None)
    )
