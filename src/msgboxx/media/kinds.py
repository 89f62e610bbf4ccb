"""WhatsApp's media kinds, the formats each takes and its size limit, checked by content.

The rules are Meta's (Cloud API, "Supported media types"; shared/reference/cloud-api.md,
"Added later"). They are checked before anything is stored and by what the bytes
are, never by a file name or a client's Content-Type, which cost nothing to fake:
Meta checks the same way and would otherwise refuse the send much later, after the
message was accepted.

Limits are in decimal units (5 MB = 5,000,000 bytes). Meta writes "MB" without
saying which; the decimal reading is the smaller, so a file we accept is never
one Meta refuses for its size.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from msgboxx.media import sniff as sniffing
from msgboxx.media.errors import MediaTooLarge, UnsupportedMediaType

KB = 1000
MB = 1000 * KB

# How many leading bytes to hand to `check_content`: enough for every format's
# marks, though an Office 97-2003 file may keep its directory further on (then
# the declared type or file name picks among Word, Excel and PowerPoint).
SNIFF_BYTES = 8192


class MediaKind(StrEnum):
    """The media message types of the Cloud API (``type`` of a media message)."""

    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"


@dataclass(frozen=True, slots=True)
class Rule:
    """What one kind takes: MIME types as Meta spells them, and the largest size."""

    accepted: tuple[str, ...]
    max_bytes: int
    max_bytes_animated: int | None = None


RULES: Mapping[MediaKind, Rule] = MappingProxyType(
    {
        MediaKind.IMAGE: Rule(("image/jpeg", "image/png"), 5 * MB),
        MediaKind.AUDIO: Rule(
            ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"), 16 * MB
        ),
        MediaKind.VIDEO: Rule(("video/mp4", "video/3gpp"), 16 * MB),
        MediaKind.DOCUMENT: Rule(
            ("application/pdf", *sniffing.LEGACY_OFFICE, *sniffing.OPEN_XML, "text/plain"),
            100 * MB,
        ),
        MediaKind.STICKER: Rule(("image/webp",), 100 * KB, max_bytes_animated=500 * KB),
    }
)

# The same bytes under another name for another kind: an MP4 file sent as audio
# is audio/mp4 (a voice memo from an iPhone is one).
_AS_KIND = {(MediaKind.AUDIO, "video/mp4"): "audio/mp4"}

_EXTENSIONS = {
    ".doc": sniffing.DOC,
    ".xls": sniffing.XLS,
    ".ppt": sniffing.PPT,
    ".docx": sniffing.DOCX,
    ".xlsx": sniffing.XLSX,
    ".pptx": sniffing.PPTX,
}


@dataclass(frozen=True, slots=True)
class CheckedMedia:
    """Content that WhatsApp takes as ``kind``: its MIME type and the size it may reach."""

    kind: MediaKind
    mime_type: str
    max_bytes: int
    animated: bool = False

    def check_size(self, size: int) -> None:
        """Raise 413 when ``size`` is over the limit (for a size known before streaming)."""
        if size > self.max_bytes:
            what = f"an animated {self.kind}" if self.animated else f"a {self.kind}"
            raise MediaTooLarge(
                f"{size} bytes is over WhatsApp's limit of {self.max_bytes} bytes for {what}",
                max_bytes=self.max_bytes,
                size=size,
            )


def check_content(
    head: bytes,
    *,
    kind: MediaKind,
    size: int | None = None,
    declared_type: str | None = None,
    filename: str | None = None,
) -> CheckedMedia:
    """Check a file's first bytes (see `SNIFF_BYTES`) against what WhatsApp takes as ``kind``.

    Raises `UnsupportedMediaType` (415) when the content is no format of the kind,
    and `MediaTooLarge` (413) when ``size`` is given and over the limit; when the
    size is not known yet, stream with ``max_bytes`` of the result as the limit.
    ``declared_type`` and ``filename`` never make content acceptable: they only
    choose among formats the first bytes cannot tell apart (Word, Excel or
    PowerPoint whose directory or parts lie further in the file).
    """
    rule = RULES[kind]
    found = sniffing.sniff(head)
    if found is None:
        raise _unsupported(kind, "the content is of no known type" if head else "the file is empty")
    mime_type = found.mime_type
    if found.candidates:
        mime_type = _choose(found.candidates, declared_type, filename) or mime_type
        if mime_type not in found.candidates and kind is MediaKind.DOCUMENT:
            endings = ", ".join(e for e, m in _EXTENSIONS.items() if m in found.candidates)
            raise UnsupportedMediaType(
                f"the first {len(head)} bytes do not tell which Office format this is:"
                f" give its type or a file name ending in {endings}",
                kind=kind.value,
                accepted=found.candidates,
            )
    mime_type = _AS_KIND.get((kind, mime_type), mime_type)
    if mime_type not in rule.accepted:
        raise _unsupported(kind, f"the content is {mime_type}")
    limit = rule.max_bytes
    if found.animated and rule.max_bytes_animated is not None:
        limit = rule.max_bytes_animated
    checked = CheckedMedia(kind=kind, mime_type=mime_type, max_bytes=limit, animated=found.animated)
    if size is not None:
        checked.check_size(size)
    return checked


def _choose(
    candidates: tuple[str, ...], declared_type: str | None, filename: str | None
) -> str | None:
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared in candidates:
        return declared
    by_name = _EXTENSIONS.get(posixpath.splitext((filename or "").lower())[1])
    return by_name if by_name in candidates else None


def _unsupported(kind: MediaKind, reason: str) -> UnsupportedMediaType:
    accepted = RULES[kind].accepted
    return UnsupportedMediaType(
        f"{reason}; as {kind} WhatsApp takes {', '.join(accepted)}",
        kind=kind.value,
        accepted=accepted,
    )
