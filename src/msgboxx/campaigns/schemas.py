"""Wire shapes of campaigns and of the organisation's messaging tier."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from msgboxx.campaigns import filling
from msgboxx.campaigns.models import Campaign
from msgboxx.campaigns.status import CampaignStatus
from msgboxx.core.tiers import MessagingTier
from msgboxx.core.wire import ApiModel, Timestamp

# A campaign's messages are shown as the messages API shows them.
from msgboxx.messages.schemas import MessageOut as MessageOut


class Audience(ApiModel):
    """Who the campaign is for: exactly one of these."""

    tags: list[str] | None = Field(default=None, min_length=1, max_length=50)
    contactIds: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=10_000)
    all: bool | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Audience:
        given = [self.tags is not None, self.contactIds is not None, self.all is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of tags, contactIds or all")
        if self.all is False:
            raise ValueError("all must be true when given")
        for tag in self.tags or []:
            if not tag.strip() or len(tag) > 64:
                raise ValueError("each tag must be 1 to 64 characters")
        return self

    def stored(self) -> dict[str, object]:
        if self.tags is not None:
            return {"tags": sorted({tag.strip() for tag in self.tags})}
        if self.contactIds is not None:
            return {"contactIds": sorted({str(c) for c in self.contactIds})}
        return {"all": True}


class CampaignCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "December order updates",
                    "apiAccountId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "templateId": "9c3e5d1a-2b4f-4e6a-8c7d-0f1e2d3c4b5a",
                    "audience": {"tags": ["vip"]},
                    "parameters": ["{{contact.name}}", "{{attributes.order}}"],
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    apiAccountId: uuid.UUID
    templateId: uuid.UUID
    audience: Audience
    parameters: list[str] = Field(default_factory=list, max_length=100)
    # When to start; absent: now. Must be in the future.
    sendAt: AwareDatetime | None = None

    @field_validator("name")
    @classmethod
    def _named(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("must not be empty")
        return name.strip()

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, parameters: list[str]) -> list[str]:
        for position, expression in enumerate(parameters):
            if not expression.strip() or len(expression) > filling.MAX_VALUE:
                raise ValueError(f"parameter {position + 1} must be 1 to 1,024 characters")
            unknown = filling.unknown_fields(expression)
            if unknown:
                raise ValueError(
                    f"parameter {position + 1} names {unknown[0]!r}: use {{{{contact.name}}}}, "
                    "{{contact.number}} or {{attributes.NAME}}"
                )
        return parameters


class CampaignCounts(ApiModel):
    """Where the campaign's recipients stand, counted now.

    ``sent`` counts messages the network has (Sent, Delivered or Read),
    ``delivered`` those Delivered or Read; ``replied``, contacts who wrote back after.
    """

    targeted: int
    pending: int
    waitingForTier: int
    skippedUnsubscribed: int
    skippedMissingParameters: int
    skippedErased: int
    cancelled: int
    queued: int
    sent: int
    delivered: int
    read: int
    failed: int
    replied: int


class CampaignOut(ApiModel):
    campaignId: uuid.UUID
    name: str
    apiAccountId: uuid.UUID
    templateId: uuid.UUID | None
    audience: dict[str, object]
    parameters: list[str]
    status: CampaignStatus
    statusReason: str | None
    sendAt: Timestamp
    startedAt: Timestamp | None
    finishedAt: Timestamp | None
    dateTime: Timestamp
    counts: CampaignCounts | None = None

    @classmethod
    def of(cls, campaign: Campaign, counts: CampaignCounts | None = None) -> CampaignOut:
        return cls(
            campaignId=campaign.id,
            name=campaign.name,
            apiAccountId=campaign.account_id,
            templateId=campaign.template_id,
            audience=campaign.audience,
            parameters=campaign.parameters,
            status=CampaignStatus(campaign.status),
            statusReason=campaign.status_reason,
            sendAt=campaign.send_at,
            startedAt=campaign.started_at,
            finishedAt=campaign.finished_at,
            dateTime=campaign.created_at,
            counts=counts,
        )


class TierOut(ApiModel):
    """The organisation's WhatsApp messaging tier and how much of it the last 24 hours used."""

    tier: MessagingTier
    # Whether the tier is the server's default (none set for the organisation).
    isDefault: bool
    reachedLast24h: int
    remaining: int | None


class TierUpdate(ApiModel):
    # null: back to the server's default.
    tier: MessagingTier | None
