"""The API's records as typed objects, mirroring the wire (see the API contract).

Attributes are the wire's names in snake case (``apiAccountId`` is
``api_account_id``); every record's creation time is ``date_time``, whether the
wire spells it ``dateTime`` or, for accounts and contacts, ``datetime``. Unknown
fields are ignored, so a newer server never breaks an older SDK.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

_CREATED = Field(validation_alias=AliasChoices("dateTime", "datetime"))


class Record(BaseModel):
    """Base of every record: camelCase on the wire, snake_case here."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ApiAccount(Record):
    api_account_id: uuid.UUID
    phone_number: str
    name: str
    date_time: datetime = _CREATED


class Inbox(Record):
    inbox_id: uuid.UUID
    api_account_id: uuid.UUID
    name: str
    date_time: datetime = _CREATED


class Contact(Record):
    contact_id: uuid.UUID
    mobile_number: str
    name: str | None = None
    status: str
    email: str | None = None
    api_account_id: uuid.UUID
    date_time: datetime = _CREATED
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, str] = Field(default_factory=dict)


class ImportProblem(Record):
    """A row the import rejected: its line in the file (the header is line 1) and why."""

    line: int
    number: str | None = None
    reason: str


class ImportReport(Record):
    """What a contacts import did with every row; ``errors`` lists the first 1,000 rejected."""

    api_account_id: uuid.UUID
    rows: int
    created: int
    updated: int
    rejected: int
    errors: list[ImportProblem] = Field(default_factory=list)
    errors_omitted: int = 0


class Message(Record):
    api_account_id: uuid.UUID
    contact_id: uuid.UUID
    message_id: uuid.UUID
    message: str | None = None
    status: str
    date_time: datetime = _CREATED
    inbox_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    direction: str | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    failed_at: datetime | None = None
    failure_reason: str | None = None
    # When a scheduled message is due; None for one sent at once.
    send_at: datetime | None = None


class Template(Record):
    template_id: uuid.UUID
    api_account_id: uuid.UUID
    status: str
    name: str
    template_text: str
    template_example: str | None = None
    date_time: datetime = _CREATED
    language: str | None = None
    category: str | None = None


class Broadcast(Record):
    """A template message; ``message_id``, ``message`` and ``status`` may be None until sent."""

    broadcast_id: uuid.UUID
    api_account_id: uuid.UUID
    contact_id: uuid.UUID
    message_id: uuid.UUID | None = None
    message: str | None = None
    status: str | None = None
    date_time: datetime = _CREATED
    send_at: datetime | None = None


class Webhook(Record):
    webhook_id: uuid.UUID
    target_url: str
    events: list[str]
    api_account_id: uuid.UUID | None = None
    date_time: datetime = _CREATED


class WebhookCreated(Webhook):
    """A new subscription: the only time its signing ``secret`` is shown."""

    secret: str


class Event(Record):
    """One webhook delivery's body: ``data`` is the resource as the API shows it."""

    id: str
    type: str
    timestamp: datetime
    data: dict[str, Any]


class Token(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_at: datetime | None = None
    expires_in: int | None = None


class Paging(Record):
    record_count: int
    page: int | None = None
    page_size: int | None = None
    page_count: int | None = None


T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    """One page of a collection; ``paging.record_count`` counts every match."""

    items: list[T]
    paging: Paging
