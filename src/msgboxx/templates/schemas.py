"""Wire shapes of templates."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from msgboxx.core.wire import ApiModel, Timestamp
from msgboxx.templates.models import Template
from msgboxx.templates.status import TemplateStatus

# The media a template header may hold (Meta's IMAGE, VIDEO and DOCUMENT formats).
HeaderType = Literal["image", "video", "document"]


class TemplateOut(ApiModel):
    templateId: uuid.UUID
    apiAccountId: uuid.UUID
    status: TemplateStatus
    name: str
    templateText: str
    templateExample: str | None
    dateTime: Timestamp
    language: str
    category: str
    rejectionReason: str | None
    # Extension: the network's own status (e.g. PAUSED, DISABLED) when it has one.
    providerStatus: str | None
    # Extension: a media header that every broadcast of the template fills in.
    headerType: HeaderType | None = Field(default=None, exclude_if=lambda value: value is None)

    @classmethod
    def of(cls, template: Template) -> TemplateOut:
        return cls(
            templateId=template.id,
            apiAccountId=template.account_id,
            status=TemplateStatus(template.status),
            name=template.name,
            templateText=template.text,
            templateExample=template.example,
            dateTime=template.created_at,
            language=template.language,
            category=template.category,
            rejectionReason=template.rejection_reason,
            providerStatus=template.provider_status,
            headerType=template.header_type,
        )


class TemplateCreate(ApiModel):
    apiAccountId: uuid.UUID
    name: str = Field(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")
    templateText: str = Field(min_length=1, max_length=1024)
    templateExample: str | None = Field(default=None, max_length=1024)
    language: str = Field(default="en", min_length=2, max_length=20, pattern=r"^[A-Za-z_]+$")
    category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"] = "UTILITY"
    # Extension: a media header; each broadcast then sends the media with it.
    headerType: HeaderType | None = None
