"""Every statement on ``media`` but the background fetch's (``fetch_store``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select

from msgboxx.db.tx import Tx
from msgboxx.media.models import Media


async def add(tx: Tx, media: Media) -> Media:
    tx.session.add(media)
    await tx.session.flush()
    return media


async def get_in(tx: Tx, media_id: uuid.UUID, organisation_id: uuid.UUID) -> Media | None:
    """The media if it is the organisation's; another organisation's is not there (404)."""
    return await tx.session.scalar(
        select(Media).where(Media.id == media_id, Media.organisation_id == organisation_id)
    )


async def by_ids(tx: Tx, media_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Media]:
    """Media by id, whoever owns them: for messages already found visible."""
    if not media_ids:
        return {}
    found = await tx.session.scalars(select(Media).where(Media.id.in_(set(media_ids))))
    return {media.id: media for media in found}


async def of_contact(tx: Tx, contact_id: uuid.UUID) -> list[Media]:
    return list(await tx.session.scalars(select(Media).where(Media.contact_id == contact_id)))


async def delete_of_contact(tx: Tx, contact_id: uuid.UUID) -> None:
    await tx.session.execute(delete(Media).where(Media.contact_id == contact_id))


async def delete_one(tx: Tx, media_id: uuid.UUID) -> None:
    await tx.session.execute(delete(Media).where(Media.id == media_id))
