"""Erasing a contact's media: the records in the erasing transaction, the bytes after it.

Records first, bytes after the commit: a failure in between leaves bytes that no
record points to (retried here, and logged as an error if they stay), never a
record pointing to bytes that are gone. A fetch that stores bytes for a record
erased meanwhile finds the record gone and deletes them itself (``fetching``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from msgboxx.core import background, backoff
from msgboxx.db.tx import Tx
from msgboxx.media import store
from msgboxx.media.inbound import contact_prefix
from msgboxx.media.storage import MediaStore

log = logging.getLogger(__name__)

# Retries of a prefix the store would not delete, then it is reported (an error log).
ERASE_ATTEMPTS = 6
_retrying: set[asyncio.Task[None]] = set()


async def forget_contact(
    tx: Tx, *, organisation_id: uuid.UUID, contact_id: uuid.UUID, media_store: MediaStore
) -> None:
    """Delete the contact's media records now, and their bytes once ``tx`` commits."""
    await store.delete_of_contact(tx, contact_id)
    prefix = contact_prefix(organisation_id=organisation_id, contact_id=contact_id)

    async def erase_bytes() -> None:
        await erase_prefix(media_store, prefix)

    tx.after_commit(erase_bytes)


async def erase_prefix(
    media_store: MediaStore, prefix: str, *, attempts: int = ERASE_ATTEMPTS, base: float = 1.0
) -> bool:
    """Delete the bytes under ``prefix`` now; on failure, keep trying in the background.

    Never raises: the records are already gone and the caller's answer stands.
    True when the first attempt erased them.
    """
    if await _attempt(media_store, prefix, attempt=1, last=attempts <= 1):
        return True
    if attempts > 1:
        background.start(
            _retrying,
            _retry(media_store, prefix, attempts=attempts, base=base),
            failure="erasing media bytes failed",
        )
    return False


async def _retry(media_store: MediaStore, prefix: str, *, attempts: int, base: float) -> None:
    for attempt in range(2, attempts + 1):
        await asyncio.sleep(backoff.delay(attempt - 1, base=base, cap=60.0))
        if await _attempt(media_store, prefix, attempt=attempt, last=attempt == attempts):
            return


async def _attempt(media_store: MediaStore, prefix: str, *, attempt: int, last: bool) -> bool:
    try:
        await media_store.delete_prefix(prefix)
    except Exception:
        if last:
            log.exception(
                "media of an erased contact is still in the store; delete it by hand",
                extra={"prefix": prefix, "attempt": attempt},
            )
        else:
            log.warning(
                "erasing media bytes failed; will retry",
                extra={"prefix": prefix, "attempt": attempt},
                exc_info=True,
            )
        return False
    return True
