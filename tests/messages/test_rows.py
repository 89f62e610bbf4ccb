"""The typed row of a message is the table, and the API's view is built from it alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from msgboxx.messages.models import Message
from msgboxx.messages.rows import COLUMNS, RECORDED_COLUMNS, STATUS_COLUMNS, MessageRow
from msgboxx.messages.schemas import MessageOut
from msgboxx.messages.status import MessageStatus

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_row__has_every_column_of_the_table_in_its_order() -> None:
    # A column added to the model and not to the row would be dropped by every insert.
    assert tuple(column.key for column in Message.__table__.columns) == COLUMNS


def test_row__what_reports_and_sends_write_are_columns() -> None:
    assert set(STATUS_COLUMNS) <= set(RECORDED_COLUMNS) <= set(COLUMNS)


def test_view__shows_the_row_under_the_api_names() -> None:
    row = MessageRow(
        id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        inbox_id=uuid.uuid4(),
        contact_id=uuid.uuid4(),
        conversation_id=uuid.uuid4(),
        direction="Outbound",
        kind="text",
        text="Hello",
        status="Delivered",  # as read from the store: a plain string
        template_id=None,
        template_parameters=None,
        provider_message_id="wamid.1",
        failure_reason=None,
        created_at=T0,
        sent_at=T0,
        delivered_at=T0,
        read_at=None,
        failed_at=None,
        attempts=1,
        next_attempt_at=None,
        lease_until=None,
        lease_owner=None,
    )
    view = MessageOut.of(row)
    assert view.status is MessageStatus.delivered
    at = "2026-01-01T12:00:00.000Z"
    assert view.model_dump(mode="json") == {
        "apiAccountId": str(row.account_id),
        "contactId": str(row.contact_id),
        "messageId": str(row.id),
        "message": "Hello",
        "status": "Delivered",
        "dateTime": at,
        "inboxId": str(row.inbox_id),
        "conversationId": str(row.conversation_id),
        "direction": "Outbound",
        "sentAt": at,
        "deliveredAt": at,
        "readAt": None,
        "failedAt": None,
        "failureReason": None,
        "sendAt": None,
    }
