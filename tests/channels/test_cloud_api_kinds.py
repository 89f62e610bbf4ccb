"""Every inbound kind, parsed: the readable text, the ``content`` and the media it announces.

One real-shaped webhook body per kind in ``testdata/``; each row says what a
client would read on the stored message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from msgboxx.channels.base import InboundMedia, InboundText
from msgboxx.channels.cloud_api import incoming, wire
from tests.channels.test_cloud_api_incoming import NUMBERS, WABAS, load

# What the referral fixture's ad says, as ``content.referral`` shows it.
REFERRAL = {
    "sourceUrl": "https://fb.me/3cr4Wqqkv",
    "sourceType": "ad",
    "sourceId": "120226305854810726",
    "headline": "Sofas on sale",
    "body": "Free delivery this week",
    "mediaType": "image",
    "imageUrl": "https://scontent.xx.fbcdn.net/v/t45.1600-4/sofa.jpg",
    "thumbnailUrl": "https://scontent.xx.fbcdn.net/v/t45.1600-4/sofa_thumb.jpg",
    "ctwaClid": (
        "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-ZABe-D4T-"
        "ta3W6wvcs"
    ),
    "welcomeMessage": "Hi! How can we help?",
}


@dataclass(frozen=True)
class Kind:
    file: str
    kind: str
    text: str
    content: dict[str, Any] | None = None
    media: InboundMedia | None = None


KINDS = [
    Kind("text.json", "text", "Does it come in another color?"),
    Kind(
        "location.json",
        "location",
        "[location] Main Street Beach, 1 Hacker Way, Menlo Park, CA 94025",
        {
            "latitude": 37.483307,
            "longitude": -122.148981,
            "name": "Main Street Beach",
            "address": "1 Hacker Way, Menlo Park, CA 94025",
            "url": "https://www.facebook.com/MainStreetBeach",
        },
    ),
    Kind(
        "location_pin.json",
        "location",
        "[location] -33.865143, 151.2099",
        {"latitude": -33.865143, "longitude": 151.2099},
    ),
    Kind(
        "contacts.json",
        "contacts",
        "[contacts] Ann Lee, +1 (650) 555-0101; Bob, +44 20 7946 0000",
        {
            "contacts": [
                {
                    "name": "Ann Lee",
                    "firstName": "Ann",
                    "lastName": "Lee",
                    "phones": [
                        {"phone": "+1 (650) 555-0101", "type": "CELL", "waId": "16505550101"},
                        {"phone": "+1 (650) 555-0102", "type": "WORK"},
                    ],
                    "emails": [{"email": "ann.lee@example.com", "type": "WORK"}],
                    "org": {"company": "Lee & Co", "department": "Sales", "title": "Manager"},
                },
                {
                    "name": "Bob",
                    "firstName": "Bob",
                    "phones": [{"phone": "+44 20 7946 0000", "type": "HOME"}],
                },
            ]
        },
    ),
    Kind(
        "button_reply.json",
        "interactive",
        "Change",
        {"interactive": "button_reply", "id": "change-button", "title": "Change"},
    ),
    Kind(
        "list_reply.json",
        "interactive",
        "Express Shipping",
        {
            "interactive": "list_reply",
            "id": "priority_express",
            "title": "Express Shipping",
            "description": "Next day to 2 days",
        },
    ),
    Kind(
        "flow_reply.json",
        "interactive",
        "Sent",
        {
            "interactive": "nfm_reply",
            "name": "flow",
            "body": "Sent",
            "response": {
                "flow_token": "AQAAAAACS5FpgQ_cAAAAAD0QI3s.",
                "first_name": "Pablo",
                "appointment": {"date": "2026-05-04", "slot": "10:00"},
            },
        },
    ),
    # Answers that are not JSON are kept as Meta sent them, not dropped.
    Kind(
        "flow_reply_raw.json",
        "interactive",
        "[flow reply]",
        {"interactive": "nfm_reply", "name": "address_message", "response": "not json {"},
    ),
    Kind(
        "template_button.json",
        "button",
        "Yes, book it",
        {"text": "Yes, book it", "payload": "Yes"},
    ),
    Kind(
        "reaction.json",
        "reaction",
        "[reaction] \N{THUMBS UP SIGN}",
        {"emoji": "\N{THUMBS UP SIGN}", "providerMessageId": "wamid.OUTBOUND"},
    ),
    Kind(
        "reaction_removed.json",
        "reaction",
        "[reaction removed]",
        {"emoji": None, "providerMessageId": "wamid.OUTBOUND", "removed": True},
    ),
    Kind(
        "order.json",
        "order",
        "[order] Three of these, please",
        {
            "catalogId": "194836987003835",
            "productItems": [
                {
                    "productRetailerId": "di9ozbzfi4",
                    "quantity": 3,
                    "itemPrice": 30,
                    "currency": "USD",
                },
                {
                    "productRetailerId": "nqryix03ez",
                    "quantity": 1,
                    "itemPrice": 12.5,
                    "currency": "USD",
                },
            ],
            "text": "Three of these, please",
        },
    ),
    # A text from an ad: the words stay the message, the ad rides beside them.
    Kind(
        "referral.json",
        "text",
        "Hi! I saw your ad, is the sofa still available?",
        {"referral": REFERRAL},
    ),
    Kind(
        "image.json",
        "image",
        "[image] This one",
        media=InboundMedia(
            provider_media_id="1003383421387256",
            kind="image",
            mime_type="image/jpeg",
            sha256="SfInY0gFYQ1s7FcJbZ3mG9q5Dk3Ae7w0Yb6Wx4sG5oQ=",
            caption="This one",
        ),
    ),
    Kind(
        "video.json",
        "video",
        "[video] How it arrived",
        media=InboundMedia(
            provider_media_id="1445612340187642",
            kind="video",
            mime_type="video/mp4",
            sha256="fZv3kZtqr5wCeUYc0Hx0Bq0mQdKd7PpCyl7k2bV9o4E=",
            caption="How it arrived",
        ),
    ),
    Kind(
        "audio.json",
        "audio",
        "[audio]",
        media=InboundMedia(
            provider_media_id="1193185278921428",
            kind="audio",
            mime_type="audio/ogg; codecs=opus",
            sha256="4gT1Qv9zM8JcF2pWkL3xN0bR7yH6sD5aE1uI9oP0qK=",
            voice=True,
        ),
    ),
    Kind(
        "document.json",
        "document",
        "[document] invoice-1042.pdf",
        media=InboundMedia(
            provider_media_id="838457814798305",
            kind="document",
            mime_type="application/pdf",
            sha256="Rk0m4mYcb+9cO2S4vC3x2yPzYg3vJ6gGq0y1eXJ9J8U=",
            filename="invoice-1042.pdf",
        ),
    ),
    Kind(
        "sticker.json",
        "sticker",
        "[sticker]",
        media=InboundMedia(
            provider_media_id="1228713148286637",
            kind="sticker",
            mime_type="image/webp",
            sha256="Ux6r1u2X7gYwqT3bRZkG2Vn0mJfS8pLd4hE5aC9oQ1k=",
            animated=True,
        ),
    ),
    # What WhatsApp could not pass on keeps today's placeholder, and nothing more.
    Kind("unknown_type.json", "unsupported", "[unsupported] 131051 Message type unknown"),
]


def parse_one(file: str) -> InboundText:
    parsed = incoming.parse(incoming.parse_body(load(file)), numbers=NUMBERS, wabas=WABAS)
    assert parsed.skipped == []
    [event] = parsed.events
    assert isinstance(event, InboundText)
    return event


@pytest.mark.parametrize("case", KINDS, ids=[k.file for k in KINDS])
def test_parse__each_kind_has_its_text_content_and_media(case: Kind) -> None:
    event = parse_one(case.file)
    assert (event.kind, event.text) == (case.kind, case.text)
    assert event.content == case.content
    assert event.media == case.media


def message(**fields: Any) -> wire.IncomingMessage:
    return wire.IncomingMessage.model_validate(
        {"from": "16505551234", "id": "wamid.X", "timestamp": "1749416400", **fields}
    )


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        # Placeholders for kinds whose body says nothing readable.
        ({"type": "location", "location": {}}, "[location]"),
        ({"type": "contacts", "contacts": []}, "[contacts]"),
        ({"type": "order", "order": {"product_items": [{"quantity": 2}]}}, "[order] 2 items"),
        (
            {"type": "reaction", "reaction": {"message_id": "wamid.Y", "emoji": ""}},
            "[reaction removed]",
        ),
        (
            {"type": "interactive", "interactive": {"type": "call_permission_reply"}},
            "[interactive]",
        ),
        ({"type": "ephemeral"}, "[ephemeral]"),
    ],
)
def test_text_of__bodies_without_words_get_a_placeholder(fields: dict[str, Any], text: str) -> None:
    assert incoming.text_of(message(**fields)) == text


def test_media_of__media_without_an_id_announces_nothing_to_fetch() -> None:
    found = message(type="image", image={"caption": "no id", "mime_type": "image/jpeg"})
    assert incoming.media_of(found) is None
    assert incoming.text_of(found) == "[image] no id"


def test_content_of__an_empty_removal_keeps_the_emoji_key() -> None:
    found = message(type="reaction", reaction={"message_id": "wamid.Y", "emoji": ""})
    assert incoming.content_of(found) == {
        "emoji": None,
        "providerMessageId": "wamid.Y",
        "removed": True,
    }
