"""Messages as the API shows them, with their media: the one place that looks the media up.

A message row names its media by id; its view shows the media's record with
the message's own caption and file name (``content``). The lookup is one query
per page or batch, and none at all when no row has media: text messages, the
hot path, pay nothing for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from msgboxx.db.tx import Tx
from msgboxx.media import service as media_service
from msgboxx.messages.rows import MessageRow
from msgboxx.messages.schemas import MessageOut

if TYPE_CHECKING:
    from msgboxx.media.models import Media


def view_of(row: MessageRow, media: Mapping[uuid.UUID, Media]) -> MessageOut:
    """``row`` as the API shows it, its media taken from ``media`` (by id)."""
    if row.media_id is None:
        return MessageOut.of(row)
    record = media.get(row.media_id)
    if record is None:
        return MessageOut.of(row)
    content = row.content or {}
    caption, filename = content.get("caption"), content.get("filename")
    return MessageOut.of(
        row,
        media=media_service.view(
            record,
            caption=caption if isinstance(caption, str) else None,
            filename=filename if isinstance(filename, str) else None,
        ),
    )


async def media_of(tx: Tx, rows: Iterable[MessageRow]) -> Mapping[uuid.UUID, Media]:
    """The media of ``rows``, by id: no query when none has any."""
    ids = [row.media_id for row in rows if row.media_id is not None]
    if not ids:
        return {}
    return await media_service.records(tx, ids)


async def views_of(tx: Tx, rows: Sequence[MessageRow]) -> list[MessageOut]:
    """``rows`` as the API shows them, in order, with one media lookup for them all."""
    media = await media_of(tx, rows)
    return [view_of(row, media) for row in rows]
