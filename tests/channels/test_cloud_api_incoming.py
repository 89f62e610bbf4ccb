"""Parsing Meta's webhook bodies into events: one real-shaped body per scenario."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from msgboxx.channels.base import (
    CapabilityChange,
    ChannelEvent,
    ConsentChange,
    InboundText,
    NumberChange,
    StatusReport,
    TemplateStatusUpdate,
)
from msgboxx.channels.cloud_api import incoming, wire

TESTDATA = Path(__file__).parent / "testdata"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
OUR_NUMBER = "+15550783881"
NUMBERS = {PHONE_NUMBER_ID: OUR_NUMBER}
WABAS = frozenset({WABA_ID})


def load(name: str) -> bytes:
    return (TESTDATA / name).read_bytes()


def summary(event: ChannelEvent) -> tuple[object, ...]:
    """What a user would check about each event."""
    if isinstance(event, InboundText):
        assert event.to_number == OUR_NUMBER
        if event.from_user_id is not None:
            return ("inbound", event.from_number, event.from_user_id, event.text)
        return ("inbound", event.from_number, event.kind, event.text, event.profile_name)
    if isinstance(event, StatusReport):
        return ("status", event.provider_message_id, event.status.value, event.failure_reason)
    if isinstance(event, ConsentChange):
        return ("consent", event.from_number, event.status.value)
    if isinstance(event, NumberChange):
        return ("number change", event.from_number, event.new_number)
    if isinstance(event, TemplateStatusUpdate):
        return ("template", event.provider_template_id, event.status.value, event.reason)
    if isinstance(event, CapabilityChange):
        return ("capability", event.to_number, event.quality, event.tier)
    raise AssertionError(f"unexpected event {event}")


@dataclass(frozen=True)
class Case:
    file: str
    events: list[tuple[object, ...]]
    skipped: int = 0


SHEENA = "+16505551234"
BSUID = "US.13491208655302741918"
CASES = [
    Case(
        "text.json",
        [("inbound", SHEENA, "text", "Does it come in another color?", "Sheena Nelson")],
    ),
    Case("image.json", [("inbound", SHEENA, "image", "[image] This one", "Sheena Nelson")]),
    Case("audio.json", [("inbound", SHEENA, "audio", "[audio]", "Sheena Nelson")]),
    Case("button_reply.json", [("inbound", SHEENA, "interactive", "Change", "Sheena Nelson")]),
    Case("template_button.json", [("inbound", SHEENA, "button", "Yes, book it", "Sheena Nelson")]),
    Case(
        "unknown_type.json",
        [
            (
                "inbound",
                SHEENA,
                "unsupported",
                "[unsupported] 131051 Message type unknown",
                "Sheena Nelson",
            )
        ],
    ),
    Case("status_sent.json", [("status", "wamid.OUTBOUND", "Sent", None)]),
    Case("status_delivered.json", [("status", "wamid.OUTBOUND", "Delivered", None)]),
    Case("status_read.json", [("status", "wamid.OUTBOUND", "Read", None)]),
    Case(
        "status_failed.json",
        [("status", "wamid.OUTBOUND", "Failed", "131026 Message undeliverable")],
    ),
    Case(
        "status_failed_unsubscribed.json",
        [
            ("consent", SHEENA, "Unsubscribed"),
            (
                "status",
                "wamid.OUTBOUND",
                "Failed",
                "131050 Unable to deliver the message. This recipient has chosen to stop "
                "receiving marketing messages on WhatsApp from your business.",
            ),
        ],
    ),
    Case("status_unknown.json", [], skipped=2),
    Case(
        "several.json",
        [
            ("inbound", SHEENA, "text", "First", "Sheena Nelson"),
            ("status", "wamid.OUTBOUND", "Delivered", None),
            ("inbound", SHEENA, "text", "Second", "Sheena Nelson"),
            # The number's quality fell and its portfolio's limit is 2K (no longer ignored).
            ("capability", OUR_NUMBER, "RED", "2000"),
        ],
    ),
    Case("other_number.json", [], skipped=1),
    Case("user_preferences_stop.json", [("consent", SHEENA, "Unsubscribed")]),
    Case("user_preferences_resume.json", [("consent", SHEENA, "Subscribed")]),
    Case("template_approved.json", [("template", "806312974732579", "Approved", None)]),
    Case(
        "template_rejected.json",
        [("template", "806312974732579", "Rejected", "REJECTED: INVALID_FORMAT")],
    ),
    Case("template_paused.json", [("template", "806312974732579", "Rejected", "PAUSED")]),
    Case("template_flagged.json", [], skipped=1),
    Case("unknown_field.json", [], skipped=1),
    Case("not_whatsapp.json", [], skipped=1),
    # A user with a username is known by user id; never as a made-up phone number.
    Case("username_only.json", [("inbound", None, BSUID, "Hi, it's me")]),
    Case("username_with_number.json", [("inbound", SHEENA, BSUID, "Now with my number")]),
    # Not a conversation with one customer, and not a customer at all.
    Case("group.json", [], skipped=1),
    Case("bad_sender.json", [], skipped=1),
    # Not the customer's words: their contact follows them to the new number.
    Case("system_changed_number.json", [("number change", SHEENA, "+16505550000")]),
    # What we cannot read costs only itself.
    Case(
        "partly_unreadable.json",
        [
            ("inbound", SHEENA, "text", "Kept", "Sheena Nelson"),
            ("inbound", SHEENA, "text", "Also kept", "Sheena Nelson"),
            ("status", "wamid.OUTBOUND", "Delivered", None),
            ("inbound", SHEENA, "text", "From a later entry", "Sheena Nelson"),
        ],
        skipped=5,
    ),
    Case(
        "invalid_timestamp.json",
        [],
        skipped=1,
    ),
    Case("missing_metadata.json", [], skipped=1),
    # A number's quality and the portfolio's messaging tier (the retired 1K tier is 2K now).
    Case("quality_flagged.json", [("capability", OUR_NUMBER, "RED", "250")]),
    Case("quality_upgrade.json", [("capability", OUR_NUMBER, None, "10000")]),
    Case("quality_other_number.json", [], skipped=1),
    Case("capability_update.json", [("capability", None, None, "2000")]),
    Case("capability_unlimited.json", [("capability", None, None, "unlimited")]),
    Case("capability_other_waba.json", [], skipped=1),
    # PostgreSQL text cannot hold NUL: WhatsApp's text is kept without it.
    Case(
        "nul.json",
        [
            ("inbound", SHEENA, "text", "Hello there", "Sheena Nelson"),
            ("inbound", SHEENA, "image", "[image] Look", "Sheena Nelson"),
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_parse__scenario(case: Case) -> None:
    parsed = incoming.parse(incoming.parse_body(load(case.file)), numbers=NUMBERS, wabas=WABAS)
    assert [summary(e) for e in parsed.events] == case.events
    assert len(parsed.skipped) == case.skipped


@pytest.mark.parametrize("file", ["truncated.json", "not_an_object.json"])
def test_parse__a_body_that_is_not_a_json_object_is_refused(file: str) -> None:
    with pytest.raises(incoming.MalformedWebhook):
        incoming.parse(incoming.parse_body(load(file)), numbers=NUMBERS, wabas=WABAS)


def test_parse__status_time_is_metas_timestamp() -> None:
    parsed = incoming.parse(
        incoming.parse_body(load("status_read.json")), numbers=NUMBERS, wabas=WABAS
    )
    [event] = parsed.events
    assert isinstance(event, StatusReport)
    assert event.at == datetime.fromtimestamp(1750263780, tz=UTC)


def test_parse__template_of_another_business_account_is_skipped() -> None:
    body = incoming.parse_body(load("template_approved.json"))
    parsed = incoming.parse(body, numbers=NUMBERS, wabas=frozenset({"1"}))
    assert parsed.events == []


def test_status_table__every_meta_status_is_mapped_or_knowingly_ignored() -> None:
    meta = {"sent", "delivered", "read", "failed", "played", "deleted", "warning"}
    assert meta <= set(incoming.STATUSES) | incoming.IGNORED_STATUSES
    assert not set(incoming.STATUSES) & incoming.IGNORED_STATUSES


def test_failure_reason__says_each_part_once() -> None:
    def error(title: str, details: str) -> wire.GraphError:
        return wire.GraphError(code=131026, title=title, error_data=wire.ErrorData(details=details))

    assert incoming.failure_reason([error("Message undeliverable", "Message Undeliverable.")]) == (
        "131026 Message undeliverable"
    )
    assert incoming.failure_reason(
        [error("Message undeliverable", "Message undeliverable: the number is not on WhatsApp")]
    ) == ("131026 Message undeliverable: the number is not on WhatsApp")
    assert incoming.failure_reason([error("Message undeliverable", "The phone is off.")]) == (
        "131026 Message undeliverable: The phone is off."
    )
