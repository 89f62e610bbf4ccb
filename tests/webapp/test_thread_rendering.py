"""The thread as the server renders it, for states a sandbox run never reaches (a failed send)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

from msgboxx.messages.schemas import MessageOut
from msgboxx.messages.status import MessageStatus
from msgboxx.webapp import rendering, views

REASON = "131047 Re-engagement message: more than 24 hours have passed since the customer replied"


def _message(**fields: object) -> MessageOut:
    at = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
    values: dict[str, object] = {
        "apiAccountId": uuid.uuid4(),
        "contactId": uuid.uuid4(),
        "messageId": uuid.uuid4(),
        "message": "Your parcel is on its way",
        "status": MessageStatus.failed,
        "dateTime": at,
        "inboxId": uuid.uuid4(),
        "conversationId": uuid.uuid4(),
        "direction": "Outbound",
        "sentAt": None,
        "deliveredAt": None,
        "readAt": None,
        "failedAt": at,
        "failureReason": REASON,
    }
    values.update(fields)
    return MessageOut.model_validate(values)


def _render(*messages: MessageOut) -> str:
    items = [
        views.ThreadItem(kind="message", at=m.dateTime, message=m, details=views.details_of(m))
        for m in messages
    ]
    shown = SimpleNamespace(items=items, window_open=False, window_closes_at=None)
    return rendering.environment.get_template("_thread.html").render(c=shown)


def test_thread__a_failed_send_shows_failed_in_red_with_its_reason() -> None:
    html = _render(_message())
    assert 'class="bubble out failed"' in html
    assert f'<span class="ticks failed" title="Failed">Failed: {REASON}</span>' in html


def test_thread__location_contacts_and_reactions_read_as_text() -> None:
    html = _render(
        _message(
            direction="Inbound",
            status=MessageStatus.received,
            message="[location]",
            type="location",
            content={"latitude": 51.5, "longitude": -0.12, "name": "Shop <1>"},
            failedAt=None,
            failureReason=None,
        ),
        _message(
            direction="Inbound",
            status=MessageStatus.received,
            message="[contacts]",
            type="contacts",
            content={"contacts": [{"name": "Ann Lee", "phones": [{"phone": "+447700900001"}]}]},
            failedAt=None,
            failureReason=None,
        ),
        _message(
            direction="Inbound",
            status=MessageStatus.received,
            message="👍",
            type="reaction",
            content={"emoji": "👍", "providerMessageId": "wamid.x"},
            failedAt=None,
            failureReason=None,
        ),
    )
    assert "Location: Shop &lt;1&gt; (51.5, -0.12)" in html
    assert "Contact: Ann Lee +447700900001" in html
    assert "Reacted 👍 to a message" in html
