"""Wire shapes of messages (``dateTime`` spelled as the original did)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import Field, field_validator, model_validator

from msgboxx.core.wire import ApiModel, DateOrInstant, Timestamp, as_utc
from msgboxx.messages.models import Message
from msgboxx.messages.status import MessageStatus


class MessageOut(ApiModel):
    apiAccountId: uuid.UUID
    contactId: uuid.UUID | None
    messageId: uuid.UUID
    message: str | None
    status: MessageStatus
    dateTime: Timestamp
    inboxId: uuid.UUID
    conversationId: uuid.UUID
    direction: str
    sentAt: Timestamp | None
    deliveredAt: Timestamp | None
    readAt: Timestamp | None
    failedAt: Timestamp | None
    failureReason: str | None

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        """From a stored message: its values are already valid, so none is checked again."""
        return cls.model_construct(
            apiAccountId=message.account_id,
            contactId=message.contact_id,
            messageId=message.id,
            message=message.text,
            status=MessageStatus(message.status),
            dateTime=message.created_at,
            inboxId=message.inbox_id,
            conversationId=message.conversation_id,
            direction=message.direction,
            sentAt=message.sent_at,
            deliveredAt=message.delivered_at,
            readAt=message.read_at,
            failedAt=message.failed_at,
            failureReason=message.failure_reason,
        )


class MessageCreate(ApiModel):
    apiAccountId: uuid.UUID
    contactId: uuid.UUID
    message: str = Field(min_length=1, max_length=4096)

    @field_validator("message")
    @classmethod
    def _has_visible_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must contain some text, not only white space")
        return value


class MessageFilters(ApiModel):
    apiAccountId: uuid.UUID | None = None
    inboxId: uuid.UUID | None = None
    contactId: uuid.UUID | None = None
    conversationId: uuid.UUID | None = None
    fromDate: DateOrInstant | None = None
    toDate: DateOrInstant | None = None
    status: MessageStatus | None = None
    direction: str | None = Field(default=None, pattern="^(Outbound|Inbound)$")

    @model_validator(mode="after")
    def _dates_in_order(self) -> MessageFilters:
        if self.from_utc and self.to_utc_exclusive and self.from_utc >= self.to_utc_exclusive:
            raise ValueError("fromDate must not be after toDate")
        return self

    @property
    def from_utc(self) -> datetime | None:
        return as_utc(self.fromDate) if self.fromDate else None

    @property
    def to_utc_exclusive(self) -> datetime | None:
        """The end of the range: a bare date includes that whole day."""
        if self.toDate is None:
            return None
        step = timedelta(microseconds=1) if isinstance(self.toDate, datetime) else timedelta(days=1)
        try:
            return as_utc(self.toDate) + step
        except OverflowError:
            return None  # the end of time: no upper bound
