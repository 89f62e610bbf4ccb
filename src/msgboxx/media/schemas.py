"""How the API shows media: on its own (``POST /media``) and on a message (``media``)."""

from __future__ import annotations

import uuid

from pydantic import Field

from msgboxx.core.wire import ApiModel, Timestamp
from msgboxx.media.kinds import MediaKind
from msgboxx.media.models import MediaStatus


class MediaOut(ApiModel):
    """A piece of media. ``url`` is our authenticated ``GET /media/{mediaId}``.

    ``caption`` and ``filename`` are the message's when shown on one. ``status``
    is ``stored`` once the bytes are here; a customer's media is ``pending``
    until fetched from the network and ``failed`` if that gave up.
    """

    mediaId: uuid.UUID
    type: MediaKind
    status: MediaStatus
    mimeType: str | None
    size: int | None
    sha256: str | None
    filename: str | None = None
    caption: str | None = None
    url: str
    dateTime: Timestamp
    failureReason: str | None = Field(default=None, exclude_if=lambda value: value is None)


class UploadFingerprint(ApiModel):
    """What an upload's Idempotency-Key covers: the file, by its hash, and the fields."""

    sha256: str
    type: MediaKind
    apiAccountId: uuid.UUID | None
    filename: str | None
