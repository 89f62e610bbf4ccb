"""Wire shapes of the double's own controls (``/control/...``), which Meta has no word for.

The names are camelCase like msgboxx's own API, not snake_case like Meta's, so
a test reads the controls as it reads msgboxx.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Fault(BaseModel):
    """What to do wrong for one phone-number id or one recipient."""

    model_config = ConfigDict(extra="forbid")

    phoneNumberId: str | None = None
    recipient: str | None = None
    latency: float = Field(default=0.0, ge=0, le=60)
    errorCode: int | None = None  # answer the send with Meta's error body
    httpStatus: int = Field(default=400, ge=400, le=599)
    failCode: int | None = None  # accept, then report a failed status with this code
    dropWebhooks: bool = False
    duplicate: bool = False
    outOfOrder: bool = False
    times: int | None = Field(default=None, ge=1)  # then the fault clears itself


class InboundRequest(BaseModel):
    phoneNumberId: str
    from_: str = Field(alias="from")
    text: str | None = None
    type: str = "text"
    name: str | None = None
    displayPhoneNumber: str | None = None


class TemplateEvent(BaseModel):
    event: str
    reason: str | None = None


class ConfigUpdate(BaseModel):
    webhookUrl: str | None = None
    sentDelay: float | None = None
    deliveredDelay: float | None = None
    readDelay: float | None = None


class MediaFaults(BaseModel):
    """What the shelf does wrong next (``POST /control/media/faults``)."""

    model_config = ConfigDict(extra="forbid")

    failDownloads: int = Field(default=0, ge=0, le=1000)
    status: int = Field(default=500, ge=500, le=599)
    urlSeconds: float | None = Field(default=None, ge=0, le=3600)
