"""Media: what WhatsApp takes of each kind, checked by content, and where the bytes are kept."""

from msgboxx.media.errors import (
    MediaNotFound,
    MediaStoreUnavailable,
    MediaTooLarge,
    UnsupportedMediaType,
)
from msgboxx.media.kinds import (
    RULES,
    SNIFF_BYTES,
    CheckedMedia,
    MediaKind,
    check_content,
)

__all__ = [
    "RULES",
    "SNIFF_BYTES",
    "CheckedMedia",
    "MediaKind",
    "MediaNotFound",
    "MediaStoreUnavailable",
    "MediaTooLarge",
    "UnsupportedMediaType",
    "check_content",
]
