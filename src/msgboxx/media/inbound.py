"""A customer's media, recorded when its message arrives and fetched afterwards.

The record comes first, ``pending`` and due at once, so the message can point
at it in the same transaction; the bytes follow from the background fetch
(:mod:`.fetching`), which the commit wakes. The message never waits for a
download, and a download that never succeeds never loses the message.
"""

from __future__ import annotations

import logging
import uuid

from msgboxx.channels.base import InboundMedia
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx, Work
from msgboxx.media import store
from msgboxx.media.kinds import MediaKind
from msgboxx.media.models import Media, MediaSource, MediaStatus

log = logging.getLogger(__name__)
_KINDS = frozenset(kind.value for kind in MediaKind)


async def record_inbound(
    tx: Tx,
    *,
    organisation_id: uuid.UUID,
    account_id: uuid.UUID,
    contact_id: uuid.UUID,
    announced: InboundMedia,
) -> uuid.UUID | None:
    """Record media the network announced as pending, and wake the fetch at commit.

    None for a kind WhatsApp has no media of (the message is kept without it).
    """
    if announced.kind not in _KINDS:
        log.warning("inbound media of an unknown kind", extra={"kind": announced.kind})
        return None
    media = Media(
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        account_id=account_id,
        contact_id=contact_id,
        source=MediaSource.inbound,
        kind=announced.kind,
        mime_type=_clip(announced.mime_type, 120),
        filename=_clip(announced.filename, 240),
        status=MediaStatus.pending,
        provider_media_id=_clip(announced.provider_media_id, 200),
        provider_sha256=_clip(announced.sha256, 100),
        created_at=utcnow(),
        attempts=0,
        next_attempt_at=utcnow(),
    )
    await store.add(tx, media)
    tx.leaves(Work.media)
    return media.id


async def forget_inbound(tx: Tx, media_id: uuid.UUID) -> None:
    """Drop a record made for a message that turned out to be a repeat (same transaction)."""
    await store.delete_one(tx, media_id)
    # Nothing new to fetch after all; the wake asked for at commit finds nothing due.


def key_of(*, organisation_id: uuid.UUID, contact_id: uuid.UUID, media_id: uuid.UUID) -> str:
    """Where a customer's media is kept: under its contact, so erasure is one prefix."""
    return f"{organisation_id}/{contact_id}/{media_id}"


def contact_prefix(*, organisation_id: uuid.UUID, contact_id: uuid.UUID) -> str:
    return f"{organisation_id}/{contact_id}"


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value is not None else None
