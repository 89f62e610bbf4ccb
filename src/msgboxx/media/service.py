"""Media as the business sees it: its record, its bytes, and its view on a message."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from msgboxx.db.tx import Tx
from msgboxx.media import store

# A customer's media (recorded with its message, fetched later) and erasure: media-in.
from msgboxx.media.erasure import forget_contact as forget_contact
from msgboxx.media.inbound import forget_inbound as forget_inbound
from msgboxx.media.inbound import record_inbound as record_inbound
from msgboxx.media.kinds import MediaKind
from msgboxx.media.models import Media, MediaStatus
from msgboxx.media.schemas import MediaOut


def url_of(media_id: uuid.UUID) -> str:
    """Where a client fetches the bytes: our authenticated endpoint, never the store's."""
    return f"/media/{media_id}"


def view(media: Media, *, caption: str | None = None, filename: str | None = None) -> MediaOut:
    """``media`` as the API shows it; ``caption`` and ``filename`` are a message's own."""
    return MediaOut(
        mediaId=media.id,
        type=MediaKind(media.kind),
        status=MediaStatus(media.status),
        mimeType=media.mime_type,
        size=media.size,
        sha256=media.sha256,
        filename=filename or media.filename,
        caption=caption,
        url=url_of(media.id),
        dateTime=media.created_at,
        failureReason=media.failure_reason,
    )


async def records(tx: Tx, media_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, Media]:
    """Media by id, for messages the caller already found visible (no tenancy check here)."""
    return await store.by_ids(tx, media_ids)
