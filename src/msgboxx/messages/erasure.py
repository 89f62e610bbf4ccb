"""Right to erasure, on the messages' side: the words go, the counts stay."""

from __future__ import annotations

import uuid

from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.messages import erasure_store

ERASED = "the contact was erased before this message was sent"


async def erase_text_of_contact(tx: Tx, *, contact_id: uuid.UUID) -> None:
    """Blank the text of the contact's messages and fail what was still queued for them.

    The rows stay (statuses and counts are the business's records); nothing more
    is sent to someone who asked to be forgotten.
    """
    await erasure_store.fail_pending_of_contact(
        tx, contact_id=contact_id, at=utcnow(), reason=ERASED
    )
    await erasure_store.blank_text_of_contact(tx, contact_id=contact_id)
