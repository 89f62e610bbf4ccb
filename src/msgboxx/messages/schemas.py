"""Wire shapes of messages (``dateTime`` spelled as the original did)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)
from typing_extensions import TypeAliasType

from msgboxx.core.wire import ApiModel, DateOrInstant, Timestamp, as_utc, field_error
from msgboxx.media.kinds import MediaKind
from msgboxx.media.schemas import MediaOut
from msgboxx.messages.rows import MessageRow, values_of
from msgboxx.messages.status import MessageStatus

# Named, so that the document holds one enum for both the field and the filter.
Direction = TypeAliasType("Direction", Literal["Outbound", "Inbound"])
OUTBOUND = "Outbound"
INBOUND = "Inbound"

# The original documentation's example (seed/send-message.md).
_EXAMPLE_SENT: dict[str, JsonValue] = {
    "apiAccountId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "contactId": "17b5c90a-7465-1097-b2db-66afa62c963f",
    "message": "Hi John, that sounds good progress, kepp me informed please. ",
}


# Kinds every client of the original service knows: their messages show no ``type``.
_PLAIN_KINDS = (None, "text", "template")


class MessageOut(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE_SENT,
                    "messageId": "ce2400ec-f80a-4509-bcd3-5aa5a96a4bdf",
                    "status": "Sent",
                    "dateTime": "2022-07-05T20:13:22.263Z",
                }
            ]
        }
    )

    apiAccountId: uuid.UUID
    contactId: uuid.UUID | None
    messageId: uuid.UUID
    message: str | None
    status: MessageStatus
    dateTime: Timestamp
    inboxId: uuid.UUID
    conversationId: uuid.UUID
    direction: Direction
    sentAt: Timestamp | None
    deliveredAt: Timestamp | None
    readAt: Timestamp | None
    failedAt: Timestamp | None
    failureReason: str | None
    # Extension: when a scheduled message is (or was) due to go out; null when sent
    # as soon as accepted.
    sendAt: Timestamp | None = None
    # Extensions, shown only on messages that have them: text-only clients see
    # the original shape. ``content`` holds a location's coordinates, a Flow
    # reply's data, a reaction...; ``media`` the image, document, ... it carries.
    type: str | None = Field(default=None, exclude_if=lambda value: value in _PLAIN_KINDS)
    content: dict[str, JsonValue] | None = Field(default=None, exclude_if=lambda v: v is None)
    media: MediaOut | None = Field(default=None, exclude_if=lambda value: value is None)

    @classmethod
    def of(cls, row: MessageRow, media: MediaOut | None = None) -> MessageOut:
        """From a stored message: its values are already valid, so none is checked again.

        ``media`` is the view of ``row.media_id`` (``messages.service`` looks it up).
        """
        fields = dict(zip(_FIELDS, _SHOWN(row), strict=True))
        fields["status"] = MessageStatus(fields["status"])
        fields["type"] = row.kind
        fields["content"] = row.content
        fields["media"] = media
        return cls.model_construct(**fields)


# Each field of the API's message and the column it shows, in one place.
_FIELDS, _COLUMNS = zip(
    ("apiAccountId", "account_id"),
    ("contactId", "contact_id"),
    ("messageId", "id"),
    ("message", "text"),
    ("status", "status"),
    ("dateTime", "created_at"),
    ("inboxId", "inbox_id"),
    ("conversationId", "conversation_id"),
    ("direction", "direction"),
    ("sentAt", "sent_at"),
    ("deliveredAt", "delivered_at"),
    ("readAt", "read_at"),
    ("failedAt", "failed_at"),
    ("failureReason", "failure_reason"),
    ("sendAt", "send_at"),
    strict=True,
)
_SHOWN = values_of(*_COLUMNS)


# (Extension) When to send: ISO 8601 with its offset, in the future and at most 30
# days ahead (``messages.schedule``, checked at accept: a 422 naming sendAt).
SendAt = Annotated[
    AwareDatetime,
    Field(
        description="(Extension) Send at this time instead of at once: ISO 8601 with a UTC "
        "offset, in the future, at most 30 days ahead. The message stays Pending until then; "
        "a session message fails then if the 24-hour window has closed by that time.",
        examples=["2026-07-05T09:00:00+02:00"],
    ),
]


# WhatsApp's limit for a media caption; audio and stickers take none.
MAX_CAPTION = 1024
_NO_CAPTION = (MediaKind.AUDIO, MediaKind.STICKER)


class MediaSend(ApiModel):
    """(Extension) The media of a message: an uploaded ``mediaId`` or a ``url`` we fetch."""

    type: MediaKind
    mediaId: uuid.UUID | None = None
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    caption: str | None = Field(default=None, min_length=1, max_length=MAX_CAPTION)
    filename: str | None = Field(default=None, min_length=1, max_length=240)

    @model_validator(mode="after")
    def _one_source(self) -> MediaSend:
        name = type(self).__name__
        if (self.mediaId is None) == (self.url is None):
            raise field_error(
                name, ("mediaId",), message="give either mediaId (from POST /media) or url"
            )
        if self.caption is not None and self.type in _NO_CAPTION:
            raise field_error(name, ("caption",), message=f"a {self.type} takes no caption")
        if self.filename is not None and self.type is not MediaKind.DOCUMENT:
            raise field_error(name, ("filename",), message="only a document takes a filename")
        return self


class MessageCreate(ApiModel):
    """To a contact by its id or (extension) by its number on the account: one of the two.

    (Extension) ``media`` sends an image, document, audio, video or sticker;
    ``message`` is then optional and, when given, is the media's caption.
    (Extension) ``sendAt`` schedules it (``SendAt``).
    """

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_SENT]})

    apiAccountId: uuid.UUID
    contactId: uuid.UUID | None = None
    mobileNumber: str | None = Field(default=None, min_length=1, max_length=40)
    message: str | None = Field(default=None, min_length=1, max_length=4096)
    media: MediaSend | None = None
    sendAt: SendAt | None = None

    @model_validator(mode="after")
    def _one_recipient(self) -> MessageCreate:
        name = type(self).__name__
        if (self.contactId is None) == (self.mobileNumber is None):
            raise field_error(
                name,
                ("contactId",),
                message="give either contactId or mobileNumber (the contact's number), not both",
            )
        if self.media is None:
            if self.message is None:
                raise field_error(name, ("message",), message="Field required")
            return self
        if self.message is not None:
            if self.media.caption is not None:
                raise field_error(
                    name, ("message",), message="give the caption as message or media.caption"
                )
            if self.media.type in _NO_CAPTION:
                raise field_error(
                    name, ("message",), message=f"a {self.media.type} takes no caption"
                )
            if len(self.message) > MAX_CAPTION:
                raise field_error(
                    name,
                    ("message",),
                    message=f"a caption is at most {MAX_CAPTION} characters",
                )
        return self

    @property
    def caption(self) -> str | None:
        """A media message's caption, given either way."""
        return (
            self.message
            if self.media is not None and self.message
            else (self.media.caption if self.media is not None else None)
        )

    @field_validator("message")
    @classmethod
    def _has_visible_text(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
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
    direction: Direction | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> MessageFilters:
        if self.from_utc and self.to_utc_exclusive and self.from_utc >= self.to_utc_exclusive:
            raise field_error(
                type(self).__name__, ("fromDate",), message="must not be after toDate"
            )
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
