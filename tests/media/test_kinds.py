"""WhatsApp's media rules, checked by content: one row per file a user might send."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from msgboxx.core.errors import PayloadTooLarge, ProblemError
from msgboxx.media import kinds
from msgboxx.media.errors import MediaTooLarge, UnsupportedMediaType
from msgboxx.media.kinds import KB, MB, SNIFF_BYTES, MediaKind, check_content
from tests.media import samples

IMAGE, AUDIO, VIDEO, DOCUMENT, STICKER = (
    MediaKind.IMAGE,
    MediaKind.AUDIO,
    MediaKind.VIDEO,
    MediaKind.DOCUMENT,
    MediaKind.STICKER,
)


@dataclass(frozen=True)
class Row:
    name: str
    make: Callable[[], bytes]
    kind: MediaKind
    mime_type: str
    max_bytes: int
    animated: bool = False


ACCEPTED = [
    Row("jpeg", samples.jpeg, IMAGE, "image/jpeg", 5 * MB),
    Row("png", samples.png, IMAGE, "image/png", 5 * MB),
    Row("aac in ADTS", samples.aac_adts, AUDIO, "audio/aac", 16 * MB),
    Row("amr", samples.amr, AUDIO, "audio/amr", 16 * MB),
    Row("mp3 with ID3", samples.mp3, AUDIO, "audio/mpeg", 16 * MB),
    Row("mp3 bare frames", lambda: samples.mp3(id3=False), AUDIO, "audio/mpeg", 16 * MB),
    Row("m4a", samples.m4a, AUDIO, "audio/mp4", 16 * MB),
    Row("mp4 sent as audio", samples.mp4, AUDIO, "audio/mp4", 16 * MB),
    Row("opus in ogg (voice)", samples.ogg_opus, AUDIO, "audio/ogg", 16 * MB),
    Row("mp4", samples.mp4, VIDEO, "video/mp4", 16 * MB),
    Row("3gp", samples.threegp, VIDEO, "video/3gpp", 16 * MB),
    Row("pdf", samples.pdf, DOCUMENT, "application/pdf", 100 * MB),
    Row("docx", lambda: samples.ooxml("docx"), DOCUMENT, kinds.sniffing.DOCX, 100 * MB),
    Row("xlsx", lambda: samples.ooxml("xlsx"), DOCUMENT, kinds.sniffing.XLSX, 100 * MB),
    Row("pptx", lambda: samples.ooxml("pptx"), DOCUMENT, kinds.sniffing.PPTX, 100 * MB),
    Row(
        "docx as LibreOffice orders it",
        lambda: samples.ooxml("docx", content_types_last=True),
        DOCUMENT,
        kinds.sniffing.DOCX,
        100 * MB,
    ),
    Row("doc", lambda: samples.ole2("WordDocument"), DOCUMENT, "application/msword", 100 * MB),
    Row("xls", lambda: samples.ole2("Workbook"), DOCUMENT, "application/vnd.ms-excel", 100 * MB),
    Row(
        "ppt",
        lambda: samples.ole2("PowerPoint Document"),
        DOCUMENT,
        "application/vnd.ms-powerpoint",
        100 * MB,
    ),
    Row("utf-8 text", samples.text, DOCUMENT, "text/plain", 100 * MB),
    Row("utf-16 text", samples.utf16_text, DOCUMENT, "text/plain", 100 * MB),
    Row("webp sticker, lossy", samples.webp_lossy, STICKER, "image/webp", 100 * KB),
    Row("webp sticker, lossless", samples.webp_lossless, STICKER, "image/webp", 100 * KB),
    Row("webp sticker, alpha (VP8X, still)", samples.webp_alpha, STICKER, "image/webp", 100 * KB),
    Row("webp sticker, animated", samples.webp_animated, STICKER, "image/webp", 500 * KB, True),
]


@pytest.mark.parametrize("row", ACCEPTED, ids=lambda row: row.name)
def test_check_content__accepts_what_whatsapp_takes(row: Row) -> None:
    checked = check_content(row.make()[:SNIFF_BYTES], kind=row.kind)

    assert (checked.kind, checked.mime_type) == (row.kind, row.mime_type)
    assert (checked.max_bytes, checked.animated) == (row.max_bytes, row.animated)


REFUSED = [
    # (name, content, declared kind, what the 415 says the content is)
    ("gif as image", samples.gif, IMAGE, "image/gif"),
    ("webp as image", samples.webp_lossy, IMAGE, "image/webp"),
    ("png as sticker", samples.png, STICKER, "image/png"),
    ("jpeg as video", samples.jpeg, VIDEO, "image/jpeg"),
    ("quicktime as video", samples.quicktime, VIDEO, "video/quicktime"),
    ("3gpp2 as video", samples.threeg2, VIDEO, "video/3gpp2"),
    ("m4a (audio only) as video", samples.m4a, VIDEO, "audio/mp4"),
    ("3gp as audio", samples.threegp, AUDIO, "video/3gpp"),
    ("vorbis in ogg as audio", samples.ogg_vorbis, AUDIO, "audio/ogg; codecs=vorbis"),
    ("mp3 as document", samples.mp3, DOCUMENT, "audio/mpeg"),
    ("plain zip as document", samples.plain_zip, DOCUMENT, "application/zip"),
    ("pdf as image", samples.pdf, IMAGE, "application/pdf"),
    ("text as image", samples.text, IMAGE, "text/plain"),
    ("binary noise as document", samples.binary_noise, DOCUMENT, "of no known type"),
    ("empty file as document", lambda: b"", DOCUMENT, "the file is empty"),
]


@pytest.mark.parametrize(("name", "make", "kind", "named"), REFUSED, ids=[r[0] for r in REFUSED])
def test_check_content__refuses_other_content_with_415(
    name: str, make: Callable[[], bytes], kind: MediaKind, named: str
) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        check_content(make(), kind=kind)

    problem = caught.value
    assert isinstance(problem, ProblemError) and problem.status == 415
    assert named in problem.detail
    assert problem.extra == {"kind": kind.value, "accepted": list(kinds.RULES[kind].accepted)}


def test_check_content__the_name_never_makes_content_acceptable() -> None:
    with pytest.raises(UnsupportedMediaType):
        check_content(samples.gif(), kind=IMAGE, declared_type="image/png", filename="cat.png")


SIZES = [
    # (name, content, kind, the largest size taken)
    ("image", samples.jpeg, IMAGE, 5_000_000),
    ("audio", samples.ogg_opus, AUDIO, 16_000_000),
    ("video", samples.mp4, VIDEO, 16_000_000),
    ("document", samples.pdf, DOCUMENT, 100_000_000),
    ("still sticker", samples.webp_lossless, STICKER, 100_000),
    ("still sticker with alpha", samples.webp_alpha, STICKER, 100_000),
    ("animated sticker", samples.webp_animated, STICKER, 500_000),
]


@pytest.mark.parametrize(("name", "make", "kind", "limit"), SIZES, ids=[r[0] for r in SIZES])
def test_check_content__takes_the_limit_and_refuses_one_byte_more_with_413(
    name: str, make: Callable[[], bytes], kind: MediaKind, limit: int
) -> None:
    assert check_content(make(), kind=kind, size=limit).max_bytes == limit

    with pytest.raises(MediaTooLarge) as caught:
        check_content(make(), kind=kind, size=limit + 1)

    problem = caught.value
    assert isinstance(problem, PayloadTooLarge) and problem.status == 413
    assert problem.extra == {"maxBytes": limit, "size": limit + 1}
    assert f"{limit + 1} bytes is over WhatsApp's limit of {limit} bytes" in problem.detail


def test_check_content__office_97_with_its_directory_further_on__named_by_its_type() -> None:
    head = samples.ole2("Workbook", directory_at_end=True)[:4096]

    by_type = check_content(head, kind=DOCUMENT, declared_type="application/vnd.ms-excel")
    by_name = check_content(head, kind=DOCUMENT, filename="Q3 Figures.XLS")

    assert by_type.mime_type == by_name.mime_type == "application/vnd.ms-excel"


def test_check_content__office_97_with_its_directory_further_on__415_without_a_hint() -> None:
    head = samples.ole2("Workbook", directory_at_end=True)[:4096]

    with pytest.raises(UnsupportedMediaType) as caught:
        check_content(head, kind=DOCUMENT, declared_type="application/pdf", filename="x.pdf")

    assert "give its type or a file name ending in .doc, .xls, .ppt" in caught.value.detail


def test_check_content__the_whole_directory_outweighs_the_name() -> None:
    whole = samples.ole2("PowerPoint Document", directory_at_end=True)

    checked = check_content(whole, kind=DOCUMENT, filename="slides.doc")

    assert checked.mime_type == "application/vnd.ms-powerpoint"


def test_check_content__text_cut_inside_a_character_is_still_text() -> None:
    head = "€uro".encode()[:2]

    assert check_content(head, kind=DOCUMENT).mime_type == "text/plain"
