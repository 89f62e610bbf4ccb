"""Every statement of the background fetch of inbound media (``fetching``) on ``media``.

A claim leases due pending media the way the dispatcher leases messages: the
oldest due first, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so that fetchers in
several processes take disjoint rows, with ``lease_until`` and ``attempts + 1``
set in the same transaction. Each outcome is written only while the lease it
was claimed under is still the row's (``lease_until`` is the claim's token).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, or_, select, update

from msgboxx.db.tx import Tx
from msgboxx.media.models import Media, MediaStatus


class Claimed(NamedTuple):
    """A piece of media leased to this fetcher until ``lease_until``."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    kind: str
    mime_type: str | None
    filename: str | None
    provider_media_id: str | None
    provider_sha256: str | None
    attempts: int
    lease_until: datetime


_FIELDS = (
    Media.id,
    Media.organisation_id,
    Media.account_id,
    Media.contact_id,
    Media.kind,
    Media.mime_type,
    Media.filename,
    Media.provider_media_id,
    Media.provider_sha256,
    Media.attempts,
)


async def claim(tx: Tx, *, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Lease up to ``limit`` pending media due by ``now`` and not leased by another."""
    due = await tx.session.execute(
        select(*_FIELDS)
        .where(
            Media.next_attempt_at <= now,
            Media.status == MediaStatus.pending,
            or_(Media.lease_until.is_(None), Media.lease_until < now),
        )
        .order_by(Media.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = due.all()
    if not rows:
        return []
    await tx.session.execute(
        update(Media)
        .where(Media.id.in_([row.id for row in rows]))
        .values(lease_until=lease_until, attempts=Media.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return [
        Claimed._make((*row[:-1], row.attempts + 1, lease_until))  # attempts counts this one
        for row in rows
    ]


async def _finish(tx: Tx, claimed: Claimed, values: dict[str, Any]) -> bool:
    result = await tx.session.execute(
        update(Media)
        .where(and_(Media.id == claimed.id, Media.lease_until == claimed.lease_until))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def mark_stored(
    tx: Tx, claimed: Claimed, *, size: int, sha256: str, mime_type: str, store_key: str
) -> bool:
    """The bytes are in the store; False if the lease is no longer ours (or the row gone)."""
    values = {
        "status": MediaStatus.stored,
        "size": size,
        "sha256": sha256,
        "mime_type": mime_type,
        "store_key": store_key,
        "failure_reason": None,
        "next_attempt_at": None,
        "lease_until": None,
    }
    return await _finish(tx, claimed, values)


async def retry_at(tx: Tx, claimed: Claimed, *, at: datetime, reason: str) -> bool:
    """Try again at ``at``; the reason stays visible meanwhile."""
    values = {"next_attempt_at": at, "lease_until": None, "failure_reason": reason[:500]}
    return await _finish(tx, claimed, values)


async def mark_failed(tx: Tx, claimed: Claimed, *, reason: str) -> bool:
    """Give up: the message keeps showing the media, ``failed`` with the reason."""
    values = {
        "status": MediaStatus.failed,
        "failure_reason": reason[:500],
        "next_attempt_at": None,
        "lease_until": None,
    }
    return await _finish(tx, claimed, values)


async def exists(tx: Tx, media_id: uuid.UUID) -> bool:
    return await tx.session.scalar(select(Media.id).where(Media.id == media_id)) is not None


async def get(tx: Tx, media_id: uuid.UUID) -> Media | None:
    return await tx.session.get(Media, media_id)
