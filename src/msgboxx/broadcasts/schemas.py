"""Wire shapes of broadcasts."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from msgboxx.broadcasts.models import Broadcast
from msgboxx.core.wire import ApiModel, Timestamp
from msgboxx.messages.schemas import MessageOut, SendAt
from msgboxx.messages.status import MessageStatus


class BroadcastOut(ApiModel):
    broadcastId: uuid.UUID
    apiAccountId: uuid.UUID
    contactId: uuid.UUID | None
    messageId: uuid.UUID | None
    message: str | None
    status: MessageStatus | None
    dateTime: Timestamp
    templateId: uuid.UUID | None
    inboxId: uuid.UUID
    # Extension: when a scheduled broadcast's message is due (its message's sendAt).
    sendAt: Timestamp | None = None

    @classmethod
    def of(cls, broadcast: Broadcast, message: MessageOut | None = None) -> BroadcastOut:
        """The broadcast with its message as ``message`` shows it (without: no text, no status)."""
        return cls(
            broadcastId=broadcast.id,
            apiAccountId=broadcast.account_id,
            contactId=broadcast.contact_id,
            messageId=broadcast.message_id,
            message=message.message if message is not None else None,
            status=message.status if message is not None else None,
            dateTime=broadcast.created_at,
            templateId=broadcast.template_id,
            inboxId=broadcast.inbox_id,
            sendAt=message.sendAt if message is not None else None,
        )


class HeaderMedia(ApiModel):
    """(Extension) The media a template's header shows: an upload of ``POST /media``."""

    type: Literal["image", "video", "document"]
    mediaId: uuid.UUID


class BroadcastCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "apiAccountId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "contactId": "17b5c90a-7465-1097-b2db-66afa62c963f",
                    "templateId": "9c3e5d1a-2b4f-4e6a-8c7d-0f1e2d3c4b5a",
                    "parameters": ["John", "the msgboxx platform"],
                }
            ]
        }
    )

    apiAccountId: uuid.UUID
    contactId: uuid.UUID
    templateId: uuid.UUID
    message: str | None = Field(default=None, min_length=1, max_length=4096)
    parameters: list[str] | None = Field(default=None, max_length=100)
    # Extension: the media of a template whose header is media (headerType).
    media: HeaderMedia | None = None
    # Extension: send the template at this time instead of at once.
    sendAt: SendAt | None = None

    @model_validator(mode="after")
    def _parameters_are_text(self) -> BroadcastCreate:
        for value in self.parameters or []:
            if not value.strip() or len(value) > 1024:
                raise ValueError("each parameter must be 1 to 1,024 characters of text")
        return self
