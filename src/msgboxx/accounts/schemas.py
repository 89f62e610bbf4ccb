"""Wire shapes of API accounts and inboxes (note: ``datetime`` vs ``dateTime``)."""

from __future__ import annotations

import uuid

from pydantic import Field

from msgboxx.accounts.models import ApiAccount, Inbox
from msgboxx.core.wire import ApiModel, Timestamp


class ApiAccountOut(ApiModel):
    apiAccountId: uuid.UUID
    phoneNumber: str
    name: str
    datetime: Timestamp

    @classmethod
    def of(cls, account: ApiAccount) -> ApiAccountOut:
        return cls(
            apiAccountId=account.id,
            phoneNumber=account.phone_number,
            name=account.name,
            datetime=account.created_at,
        )


class ApiAccountCreate(ApiModel):
    phoneNumber: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)


class InboxOut(ApiModel):
    inboxId: uuid.UUID
    apiAccountId: uuid.UUID
    name: str
    dateTime: Timestamp

    @classmethod
    def of(cls, inbox: Inbox) -> InboxOut:
        return cls(
            inboxId=inbox.id,
            apiAccountId=inbox.account_id,
            name=inbox.name,
            dateTime=inbox.created_at,
        )
