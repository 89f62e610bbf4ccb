"""What a file is, from its first bytes: the MIME type its content shows, never its name.

puremagic's table names what a fixed signature tells (JPEG, PNG, PDF, and the
many formats WhatsApp refuses, so a 415 can say "image/gif" rather than
"unknown"). A signature cannot tell the differences WhatsApp's rules turn on,
so those are read from the structure here:

- WebP: still or animated (the VP8X animation flag, or an ANIM chunk);
- ISO base media: MP4 video, M4A audio, 3GPP, 3GPP2 or QuickTime (the ftyp brands);
- Ogg: Opus, Vorbis, FLAC, Speex or Theora (the first packet);
- ZIP: Word, Excel or PowerPoint (the part folders), OpenDocument, or a plain archive;
- OLE2 compound files: Word, Excel or PowerPoint 97-2003 (the directory's stream names);
- MPEG audio frames against ADTS AAC (bit fields, not bytes), AMR, and plain text.
"""

from __future__ import annotations

import codecs
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

import puremagic

DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
LEGACY_OFFICE = (DOC, XLS, PPT)
OPEN_XML = (DOCX, XLSX, PPTX)


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the content is, whether or not WhatsApp takes it."""

    mime_type: str
    animated: bool = False
    # The formats the content may still be when its first bytes cannot tell them
    # apart (an Office file whose directory or part names lie further on).
    candidates: tuple[str, ...] = ()


def sniff(head: bytes) -> Sniffed | None:
    """The content's type from its first bytes (a few KB), or None when nothing fits."""
    if not head:
        return None
    for reader in _STRUCTURED:
        found = reader(head)
        if found is not None:
            return found
    named = _library_names(head)
    for mime_type in ("image/jpeg", "image/png", "application/pdf"):
        if mime_type in named:
            return Sniffed(mime_type)
    if _is_text(head):
        return Sniffed("text/plain")
    return Sniffed(named[0]) if named else None


def _library_names(head: bytes) -> list[str]:
    """puremagic's MIME types for the head, best first; header signatures only.

    Its footer signatures are left out: given only a file's first bytes, their
    "end of file" is the middle of it.
    """
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return []
    names = [m.mime_type for m in matches if m.offset >= 0 and m.mime_type]
    return list(dict.fromkeys(names))


def _webp(head: bytes) -> Sniffed | None:
    """RIFF WebP (Google's container spec); animated when VP8X says so or an ANIM chunk follows."""
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    if head[12:16] != b"VP8X":
        return Sniffed("image/webp")  # simple format ('VP8 ', 'VP8L'): always one still frame
    animated = len(head) > 20 and bool(head[20] & 0x02)
    at = 30  # the VP8X chunk: 8 bytes of header and 10 of payload
    while not animated and at + 8 <= len(head):
        fourcc, length = head[at : at + 4], struct.unpack_from("<I", head, at + 4)[0]
        animated = fourcc in (b"ANIM", b"ANMF")
        at += 8 + length + (length & 1)
    return Sniffed("image/webp", animated=animated)


_MP4_BRANDS = frozenset(
    {"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9", "mp41", "mp42"}
    | {"avc1", "hvc1", "dash", "mmp4", "MSNV", "M4V ", "M4VH", "M4VP", "f4v ", "NDAS"}
)
_AUDIO_MP4_BRANDS = frozenset({"M4A ", "M4B ", "M4P ", "F4A ", "F4B "})


def _brand_type(brand: str) -> str | None:
    if brand.startswith("3g2"):
        return "video/3gpp2"
    if brand.startswith("3g"):
        return "video/3gpp"
    if brand in _AUDIO_MP4_BRANDS:
        return "audio/mp4"
    if brand in _MP4_BRANDS:
        return "video/mp4"
    if brand == "qt  ":
        return "video/quicktime"
    return None


def _isobmff(head: bytes) -> Sniffed | None:
    """ISO/IEC 14496-12 files: the major brand decides, else the first known compatible one."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    size = min(struct.unpack_from(">I", head)[0], len(head))
    brands = [head[8:12]] + [head[at : at + 4] for at in range(16, size - 3, 4)]
    for brand in brands:
        found = _brand_type(brand.decode("latin-1"))
        if found:
            return Sniffed(found)
    return Sniffed("application/mp4")


_OGG_CODECS = (
    (b"OpusHead", "audio/ogg"),  # RFC 7845: the only Ogg WhatsApp plays
    (b"\x01vorbis", "audio/ogg; codecs=vorbis"),
    (b"\x7fFLAC", "audio/ogg; codecs=flac"),
    (b"Speex   ", "audio/ogg; codecs=speex"),
    (b"\x80theora", "video/ogg"),
)


def _ogg(head: bytes) -> Sniffed | None:
    """An Ogg stream (RFC 3533) is named by its first packet, which starts after the lacing."""
    if head[:4] != b"OggS" or len(head) < 27:
        return None
    packet = head[27 + head[26] :]
    for prefix, mime_type in _OGG_CODECS:
        if packet.startswith(prefix):
            return Sniffed(mime_type)
    return Sniffed("application/ogg")


def _amr(head: bytes) -> Sniffed | None:
    """RFC 4867's storage format; WhatsApp takes narrowband AMR only."""
    if head.startswith(b"#!AMR\n"):
        return Sniffed("audio/amr")
    if head.startswith(b"#!AMR-WB\n"):
        return Sniffed("audio/amr-wb")
    return None


def _frame_type(head: bytes, at: int) -> str | None:
    """ADTS AAC or MPEG audio from a frame header's bit fields (ISO 13818-7, 11172-3)."""
    if len(head) < at + 3 or head[at] != 0xFF or head[at + 1] & 0xE0 != 0xE0:
        return None
    second, third = head[at + 1], head[at + 2]
    if second & 0xF6 == 0xF0:  # 12-bit sync, layer 00: ADTS
        return "audio/aac" if (third >> 2) & 0x0F < 13 else None
    version, layer = (second >> 3) & 3, (second >> 1) & 3
    if version == 1 or layer == 0 or third >> 4 == 15 or (third >> 2) & 3 == 3:
        return None  # reserved values: not an audio frame
    return "audio/mpeg"


def _mpeg_audio(head: bytes) -> Sniffed | None:
    """MP3 and ADTS AAC, with or without an ID3v2 tag in front (ADIF AAC too)."""
    if head.startswith(b"ADIF"):
        return Sniffed("audio/aac")
    at = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        major, size = head[3], head[6:10]
        if major not in (2, 3, 4) or any(byte & 0x80 for byte in size):
            return None
        at = 10 + int.from_bytes(bytes(b & 0x7F for b in size), "big") + 10 * bool(head[5] & 0x10)
        if at + 3 > len(head):
            return Sniffed("audio/mpeg")  # the tag outlasts the head; ID3 is MP3's own
    found = _frame_type(head, at)
    return Sniffed(found) if found else None


_ZIP_ENTRY = b"PK\x03\x04"
_OPEN_XML_FOLDERS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
_OPEN_XML_MARKS = ("[Content_Types].xml", "_rels/.rels", "docProps/")


def _zip_names(head: bytes) -> list[str]:
    """The names of the local file headers (PKWARE APPNOTE 4.3.7) found in the head."""
    names: list[str] = []
    at = 0
    while at + 30 <= len(head) and head[at : at + 4] == _ZIP_ENTRY:
        (flags,) = struct.unpack_from("<H", head, at + 6)
        (packed,) = struct.unpack_from("<I", head, at + 18)
        name_length, extra_length = struct.unpack_from("<HH", head, at + 26)
        raw = head[at + 30 : at + 30 + name_length]
        if len(raw) < name_length:
            break
        names.append(raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace"))
        if flags & 0x08 or packed == 0xFFFFFFFF:  # sizes come after the data: look for the next
            at = head.find(_ZIP_ENTRY, at + 30 + name_length)
            if at < 0:
                break
        else:
            at += 30 + name_length + extra_length + packed
    return names


def _zip(head: bytes) -> Sniffed | None:
    """Office Open XML by its part folders; OpenDocument by its ``mimetype`` entry."""
    if not head.startswith(_ZIP_ENTRY):
        return None
    names = _zip_names(head)
    for folder, mime_type in _OPEN_XML_FOLDERS:
        if any(name.startswith(folder) for name in names):
            return Sniffed(mime_type)
    if names[:1] == ["mimetype"]:
        declared = re.match(rb"[\w.+/-]+", head[38:120])
        return Sniffed(declared.group().decode() if declared else "application/zip")
    if any(name.startswith(_OPEN_XML_MARKS) for name in names):
        return Sniffed("application/zip", candidates=OPEN_XML)
    return Sniffed("application/zip")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_STREAMS = {"WordDocument": DOC, "Workbook": XLS, "Book": XLS, "PowerPoint Document": PPT}


def _ole2(head: bytes) -> Sniffed | None:
    """MS-CFB compound files, named by a stream in the first directory sector when it is here."""
    if not head.startswith(_OLE_MAGIC) or len(head) < 512:
        return None
    (shift,) = struct.unpack_from("<H", head, 30)
    (first_directory,) = struct.unpack_from("<I", head, 48)
    if shift not in (9, 12):
        return None
    start = (first_directory + 1) << shift  # the header fills sector "-1"
    for at in range(start, min(len(head), start + (1 << shift)) - 127, 128):
        length = struct.unpack_from("<H", head, at + 64)[0]
        if 2 <= length <= 64:
            name = head[at : at + length - 2].decode("utf-16-le", errors="replace")
            if name in _OLE_STREAMS:
                return Sniffed(_OLE_STREAMS[name])
    return Sniffed("application/x-ole-storage", candidates=LEGACY_OFFICE)


# C0 controls other than tab, line feed, vertical tab, form feed, carriage return and escape.
_CONTROLS = "[\x00-\x08\x0e-\x1a\x1c-\x1f]"
_BINARY_BYTES = re.compile(_CONTROLS.encode())
_BINARY_CHARS = re.compile(_CONTROLS)


def _is_text(head: bytes) -> bool:
    """UTF-16 with its byte order mark, or bytes any text encoding could hold (UTF-8, 8-bit)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:  # not final: the head may end inside a character
            decoded = codecs.getincrementaldecoder("utf-16")().decode(head, final=False)
        except UnicodeDecodeError:
            return False
        return _BINARY_CHARS.search(decoded) is None
    return _BINARY_BYTES.search(head) is None


_STRUCTURED: tuple[Callable[[bytes], Sniffed | None], ...] = (
    _webp,
    _isobmff,
    _ogg,
    _zip,
    _ole2,
    _amr,
    _mpeg_audio,
)
