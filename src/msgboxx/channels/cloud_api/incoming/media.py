"""The media a customer's message announces: the id to fetch it by, and what Meta says of it.

https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components#messages-object
"""

from __future__ import annotations

from msgboxx.channels.base import InboundMedia
from msgboxx.channels.cloud_api import wire

KINDS = ("image", "video", "audio", "document", "sticker")


def media_of(message: wire.IncomingMessage) -> InboundMedia | None:
    """The message's media, if it is a media message that names its media id."""
    if message.type not in KINDS:
        return None
    body: wire.MediaBody | None = getattr(message, message.type, None)
    if body is None or not body.id:
        return None
    return InboundMedia(
        provider_media_id=body.id,
        kind=message.type,
        mime_type=body.mime_type,
        filename=body.filename,
        caption=body.caption,
    )
