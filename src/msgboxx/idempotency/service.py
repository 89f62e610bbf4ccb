"""Looking up and remembering first answers; written in the request's transaction.

Because the answer is stored in the same transaction as the message it
describes, either both exist or neither does: a retry after a crash either
replays the answer or does the work for the first time.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from msgboxx.core.errors import Unprocessable
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.idempotency import store
from msgboxx.idempotency.models import IdempotentResponse

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: bytes


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Unprocessable.for_field(
            "Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters"
        )
    return key


async def replay(
    tx: Tx, *, user_id: uuid.UUID, key: str, fingerprint: str
) -> StoredResponse | None:
    """The first answer given for this key, if one is still kept."""
    stored = await store.get(tx, user_id=user_id, key=key)
    if stored is None:
        return None
    if stored.created_at < utcnow() - KEEP_FOR:
        await store.forget(tx, stored)
        return None
    if stored.fingerprint != fingerprint:
        raise Unprocessable(
            "this Idempotency-Key was already used with a different request body",
            slug="idempotency-key-reused",
        )
    return StoredResponse(stored.status_code, stored.body)


def remember(
    tx: Tx,
    *,
    user_id: uuid.UUID,
    key: str,
    fingerprint: str,
    status_code: int,
    body: bytes,
) -> None:
    """Keep this answer for the key, written by the commit of the change it describes."""
    store.add(
        tx,
        IdempotentResponse(
            user_id=user_id, key=key, fingerprint=fingerprint, status_code=status_code, body=body
        ),
    )


async def forget_expired(tx: Tx) -> int:
    """Keys are kept a day; after that the same key is a new request."""
    return await store.forget_older_than(tx, utcnow() - KEEP_FOR)
