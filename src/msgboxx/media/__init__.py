"""Media: what WhatsApp takes of each kind, checked by content, and where the bytes are kept.

The S3 backend is imported from ``msgboxx.media.s3_store`` (or made by
`open_media_store`) rather than here, so a server that keeps its media in a
folder never loads botocore.
"""

from msgboxx.media.errors import (
    MediaNotFound,
    MediaStoreUnavailable,
    MediaTooLarge,
    UnsupportedMediaType,
)
from msgboxx.media.file_store import FileMediaStore
from msgboxx.media.kinds import (
    RULES,
    SNIFF_BYTES,
    CheckedMedia,
    MediaKind,
    check_content,
)
from msgboxx.media.storage import (
    MediaStore,
    MediaStream,
    StoredMedia,
    check_key,
    open_media_store,
)

__all__ = [
    "RULES",
    "SNIFF_BYTES",
    "CheckedMedia",
    "FileMediaStore",
    "MediaKind",
    "MediaNotFound",
    "MediaStore",
    "MediaStoreUnavailable",
    "MediaStream",
    "MediaTooLarge",
    "StoredMedia",
    "UnsupportedMediaType",
    "check_content",
    "check_key",
    "open_media_store",
]
