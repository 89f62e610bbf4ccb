"""Wire shapes of API accounts and inboxes (note: ``datetime`` vs ``dateTime``)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import ConfigDict, Field

from msgboxx.accounts.models import ApiAccount, Inbox
from msgboxx.channels.cloud_api.credentials import CHANNEL as CLOUD_API
from msgboxx.channels.cloud_api.credentials import CloudApiCredentials
from msgboxx.core.errors import Unprocessable
from msgboxx.core.wire import ApiModel, Timestamp


class ApiAccountOut(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "apiAccountId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "phoneNumber": "+447777123156",
                    "name": "My Company",
                    "datetime": "2022-07-05T20:08:48.453Z",
                    "channel": "sandbox",
                    "channelStatus": "ok",
                    "channelStatusReason": None,
                    "phoneNumberId": None,
                    "wabaId": None,
                }
            ]
        }
    )

    apiAccountId: uuid.UUID
    phoneNumber: str
    name: str
    datetime: Timestamp
    # Extensions: the channel, whether it accepts the credentials, and its public ids.
    channel: str
    channelStatus: str
    channelStatusReason: str | None
    phoneNumberId: str | None
    wabaId: str | None
    # Extension: the number's quality rating as Meta last reported it (GREEN, RED), if ever.
    quality: str | None = None

    @classmethod
    def of(cls, account: ApiAccount) -> ApiAccountOut:
        settings = account.channel_settings or {}
        return cls(
            apiAccountId=account.id,
            phoneNumber=account.phone_number,
            name=account.name,
            datetime=account.created_at,
            channel=account.channel,
            channelStatus=account.channel_status or "ok",
            channelStatusReason=account.channel_status_reason,
            phoneNumberId=settings.get("phone_number_id"),
            wabaId=settings.get("waba_id"),
            quality=account.quality,
        )


class ApiAccountCreate(ApiModel):
    phoneNumber: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    # Extension: connect a real number through Meta's Cloud API (secrets are never shown).
    channel: Literal["sandbox", "cloud_api"] | None = None
    phoneNumberId: str | None = Field(default=None, pattern=r"^[0-9]{1,40}$")
    wabaId: str | None = Field(default=None, pattern=r"^[0-9]{1,40}$")
    accessToken: str | None = Field(default=None, min_length=1, max_length=1000)
    appSecret: str | None = Field(default=None, min_length=1, max_length=1000)
    webhookVerifyToken: str | None = Field(default=None, min_length=1, max_length=1000)

    def channel_settings(self, channel: str) -> dict[str, Any]:
        """The stored settings of ``channel``; a Cloud API account needs all five."""
        if channel != CLOUD_API:
            return {}
        given = {
            "phoneNumberId": self.phoneNumberId,
            "wabaId": self.wabaId,
            "accessToken": self.accessToken,
            "appSecret": self.appSecret,
            "webhookVerifyToken": self.webhookVerifyToken,
        }
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise Unprocessable(
                "a cloud_api account needs " + ", ".join(missing),
                errors=[{"field": name, "message": "required for cloud_api"} for name in missing],
            )
        return CloudApiCredentials(
            phone_number_id=str(self.phoneNumberId),
            waba_id=str(self.wabaId),
            access_token=str(self.accessToken),
            app_secret=str(self.appSecret),
            verify_token=str(self.webhookVerifyToken),
        ).to_settings()


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
