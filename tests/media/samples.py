"""Small real files of every format WhatsApp takes, made here rather than checked in.

Images and the PDF come from Pillow's own encoders. The containers that no
library here writes (ISO BMFF, Ogg, OLE2, ZIP-based Office files) are built
box by box, page by page and sector by sector to their specifications, so a
reader that parses them (ffprobe, olefile, Word) takes them as they are; the
audio and video payloads inside are short silent frames.
"""

from __future__ import annotations

import io
import struct
import zipfile

from PIL import Image

# Images ---------------------------------------------------------------------


def _image(mode: str = "RGB", size: tuple[int, int] = (16, 16)) -> Image.Image:
    return Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30))


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def jpeg() -> bytes:
    return _save(_image(), "JPEG")


def png() -> bytes:
    return _save(_image(), "PNG")


def gif() -> bytes:
    return _save(_image(), "GIF")


def webp_lossy() -> bytes:
    """Simple format: a bare 'VP8 ' chunk, no VP8X header."""
    return _save(_image(), "WEBP", quality=50)


def webp_lossless() -> bytes:
    """Simple format: a bare 'VP8L' chunk."""
    return _save(_image(), "WEBP", lossless=True)


def webp_alpha() -> bytes:
    """Extended format (VP8X) with an alpha channel, yet a still image."""
    return _save(_image("RGBA"), "WEBP", quality=50)


def webp_animated() -> bytes:
    """Extended format with the animation flag, an ANIM chunk and one ANMF per frame."""
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def pdf() -> bytes:
    return _save(_image(), "PDF")


# ISO base media files (MP4, 3GP, M4A, QuickTime) ------------------------------


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _mvhd() -> bytes:
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    payload = (
        struct.pack(">I", 0)  # version 0, no flags
        + struct.pack(">IIII", 0, 0, 1000, 0)  # created, modified, timescale, duration
        + struct.pack(">IH", 0x10000, 0x100)  # rate 1.0, volume 1.0
        + bytes(10)
        + matrix
        + bytes(24)
        + struct.pack(">I", 1)  # next track id
    )
    return _box(b"mvhd", payload)


def isobmff(major: bytes, *compatible: bytes) -> bytes:
    """An ``ftyp`` with the given brands, an empty movie header and an empty ``mdat``."""
    ftyp = _box(b"ftyp", major + struct.pack(">I", 0x200) + b"".join(compatible))
    return ftyp + _box(b"moov", _mvhd()) + _box(b"mdat", b"")


def mp4() -> bytes:
    return isobmff(b"isom", b"isom", b"iso2", b"avc1", b"mp41")


def threegp() -> bytes:
    return isobmff(b"3gp5", b"3gp5", b"isom")


def m4a() -> bytes:
    return isobmff(b"M4A ", b"M4A ", b"mp42", b"isom")


def quicktime() -> bytes:
    return isobmff(b"qt  ", b"qt  ")


def threeg2() -> bytes:
    return isobmff(b"3g2a", b"3g2a")


# Ogg ------------------------------------------------------------------------


def _ogg_crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
        table.append(crc & 0xFFFFFFFF)
    return table


_OGG_CRC = _ogg_crc_table()


def _ogg_page(packet: bytes, *, sequence: int, flags: int, granule: int = 0) -> bytes:
    """One Ogg page holding one packet (RFC 3533), with its real CRC."""
    lacing = [255] * (len(packet) // 255) + [len(packet) % 255]
    header = (
        b"OggS"
        + struct.pack("<BBqIII", 0, flags, granule, 0x4D534742, sequence, 0)
        + bytes([len(lacing)])
        + bytes(lacing)
    )
    page = bytearray(header + packet)
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC[((crc >> 24) & 0xFF) ^ byte]
    page[22:26] = struct.pack("<I", crc)
    return bytes(page)


def ogg_opus() -> bytes:
    """An Opus stream (RFC 7845): OpusHead, OpusTags, then one 20 ms silent frame."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    vendor = b"msgboxx tests"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    return (
        _ogg_page(head, sequence=0, flags=0x02)
        + _ogg_page(tags, sequence=1, flags=0)
        + _ogg_page(b"\xf8\xff\xfe", sequence=2, flags=0x04, granule=960)
    )


def ogg_vorbis() -> bytes:
    """The identification header of a Vorbis stream: Ogg, but not the codec WhatsApp takes."""
    ident = b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, 1, 44100, 0, 128000, 0, 0xB8, 1)
    return _ogg_page(ident, sequence=0, flags=0x02)


# Other audio ------------------------------------------------------------------


def aac_adts() -> bytes:
    """Three ADTS frames (MPEG-4 AAC LC, 44.1 kHz, stereo) of silence."""
    payload = b"\x21\x00\x49\x90\x02\x19\x00\x23\x80"
    length = 7 + len(payload)
    # sync, MPEG-4, no CRC | LC, 44.1 kHz | stereo, the 13-bit frame length, full buffer
    fields = [0xFF, 0xF1, 0x50, 0x80 | length >> 11, length >> 3 & 0xFF, (length & 7) << 5 | 0x1F]
    header = bytes(fields) + b"\xfc"
    return (header + payload) * 3


def amr() -> bytes:
    """AMR narrowband (RFC 4867 storage format): the magic, then 12.2 kbit/s frames."""
    return b"#!AMR\n" + (b"\x3c" + bytes(31)) * 5


def mp3(*, id3: bool = True) -> bytes:
    """MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz, optionally behind an ID3v2.4 tag."""
    frame = b"\xff\xfb\x90\x64" + bytes(417 - 4)
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x00" if id3 else b""
    return tag + frame * 3


# Documents --------------------------------------------------------------------


_OOXML = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def ooxml(kind: str, *, content_types_last: bool = False) -> bytes:
    """A minimal Office Open XML package; LibreOffice writes ``[Content_Types].xml`` last."""
    part, content_type = _OOXML[kind]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/{part}" '
        f'ContentType="application/vnd.openxmlformats-officedocument.{content_type}"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="' + part + '" Type="http://schemas.openxmlformats.org'
        '/officeDocument/2006/relationships/officeDocument"/></Relationships>'
    )
    entries = [("[Content_Types].xml", content_types), ("_rels/.rels", rels)]
    entries.append((part, '<?xml version="1.0" encoding="UTF-8"?><root/>'))
    if content_types_last:
        entries.append(entries.pop(0))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries:
            archive.writestr(name, text)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes/readme.txt", "not an office document")
    return out.getvalue()


_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def _directory_entry(
    name: str, kind: int, *, child: int = _FREE, start: int = _END, size: int = 0
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", _FREE, _FREE, child)
        + bytes(16 + 4 + 8 + 8)  # class id, state bits, created, modified
        + struct.pack("<IQ", start, size)
    )


def ole2(stream: str, *, directory_at_end: bool = False, stream_size: int = 4096) -> bytes:
    """A compound file (MS-CFB version 3, 512-byte sectors) holding one named stream.

    ``WordDocument``, ``Workbook`` and ``PowerPoint Document`` are the streams by
    which Word, Excel and PowerPoint files are told apart. Office usually writes the
    directory after the streams; ``directory_at_end`` does the same.
    """
    data_sectors = -(-stream_size // 512)
    if directory_at_end:
        data_start, directory = 1, 1 + data_sectors
    else:
        directory, data_start = 1, 2
    fat = [_FREE] * 128
    fat[0] = _FAT
    fat[directory] = _END
    for n in range(data_sectors):
        fat[data_start + n] = data_start + n + 1 if n < data_sectors - 1 else _END
    entries = (
        _directory_entry("Root Entry", 5, child=1)
        + _directory_entry(stream, 2, start=data_start, size=stream_size)
        + _directory_entry("", 0) * 2
    )
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, directory, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", _FREE) * 108
    )
    sectors = {0: struct.pack("<128I", *fat), directory: entries}
    stream_bytes = b"\xec\xa5\xc1\x00".ljust(stream_size, b"\0").ljust(data_sectors * 512, b"\0")
    for n in range(data_sectors):
        sectors[data_start + n] = stream_bytes[n * 512 : (n + 1) * 512]
    return header + b"".join(sectors[n] for n in range(len(sectors)))


def text() -> bytes:
    return "Order #1042: 3 x café crème, delivered Tuesday.\r\nThank you!\n".encode()


def utf16_text() -> bytes:
    return "Olá, mundo\n".encode("utf-16")


def binary_noise() -> bytes:
    return bytes(range(256)) * 4
