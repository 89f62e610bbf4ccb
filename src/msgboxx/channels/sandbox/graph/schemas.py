"""Wire shapes of the double's own controls (``/control/...``), which Meta has no word for.

The names are camelCase like msgboxx's own API, not snake_case like Meta's, so
a test reads the controls as it reads msgboxx.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator


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


# --- A customer's message (``POST /control/inbound``): each kind's fields, as msgboxx's
# ``content`` shows them; ``graph.inbound`` writes Meta's shape from them.

MEDIA = frozenset({"image", "video", "audio", "document", "sticker"})


class _Control(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Location(_Control):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str | None = None
    address: str | None = None
    url: str | None = None


class CardPhone(_Control):
    phone: str
    type: str | None = None
    waId: str | None = None


class CardEmail(_Control):
    email: str
    type: str | None = None


class CardOrg(_Control):
    company: str | None = None
    department: str | None = None
    title: str | None = None


class Card(_Control):
    name: str
    firstName: str | None = None
    lastName: str | None = None
    phones: list[CardPhone] = []
    emails: list[CardEmail] = []
    org: CardOrg | None = None


class Interactive(_Control):
    """A reply button or list row (``id``, ``title``), or a Flow's answer (``body``, ``response``).

    ``response``: an object is sent as Meta does (a JSON string); a string as it is.
    """

    type: Literal["button_reply", "list_reply", "nfm_reply"]
    id: str | None = None
    title: str | None = None
    description: str | None = None
    name: str | None = None
    body: str | None = None
    response: JsonValue = None


class Button(_Control):
    text: str
    payload: str | None = None


class Reaction(_Control):
    """``messageId`` is the wamid reacted to (the network knows no other); no emoji: removed."""

    messageId: str
    emoji: str | None = None


class ProductItem(_Control):
    productRetailerId: str
    quantity: int = Field(ge=1)
    itemPrice: float
    currency: str


class Order(_Control):
    catalogId: str
    productItems: list[ProductItem] = Field(min_length=1)
    text: str | None = None


class Referral(_Control):
    sourceUrl: str
    sourceType: Literal["ad", "post"] = "ad"
    sourceId: str
    headline: str | None = None
    body: str | None = None
    mediaType: Literal["image", "video"] | None = None
    imageUrl: str | None = None
    videoUrl: str | None = None
    thumbnailUrl: str | None = None
    ctwaClid: str | None = None


class Media(_Control):
    """Media the double holds (or says it holds): msgboxx fetches it by ``id`` afterwards."""

    id: str | None = None
    mimeType: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool | None = None
    animated: bool | None = None


# The kind's own field in an inbound request, where it has one.
FIELD_OF_KIND = {
    "location": "location",
    "contacts": "contacts",
    "interactive": "interactive",
    "button": "button",
    "reaction": "reaction",
    "order": "order",
}


class InboundRequest(BaseModel):
    """A customer writes: ``type`` and its field (``text`` is also a media kind's caption).

    Any other ``type`` is sent bare, as Meta sends a kind it has no body for.
    """

    model_config = ConfigDict(populate_by_name=True)

    phoneNumberId: str
    from_: str = Field(alias="from")
    type: str = Field(default="text", pattern=r"^[a-z_]{1,30}$")
    text: str | None = None
    name: str | None = None
    displayPhoneNumber: str | None = None
    media: Media | None = None
    location: Location | None = None
    contacts: list[Card] | None = Field(default=None, min_length=1)
    interactive: Interactive | None = None
    button: Button | None = None
    reaction: Reaction | None = None
    order: Order | None = None
    referral: Referral | None = None  # beside any kind: the ad the chat started from

    @model_validator(mode="after")
    def _has_its_field(self) -> InboundRequest:
        needed = FIELD_OF_KIND.get(self.type)
        if needed is not None and getattr(self, needed) is None:
            raise ValueError(f"a {self.type} message needs its {needed!r} field")
        if self.media is not None and self.type not in MEDIA:
            raise ValueError(f"only {', '.join(sorted(MEDIA))} take 'media'")
        return self


class TemplateEvent(BaseModel):
    event: str
    reason: str | None = None


class QualityEvent(BaseModel):
    """Meta rates a number (``phone_number_quality_update``): an event, and the limit now."""

    phoneNumberId: str
    displayPhoneNumber: str
    event: str  # FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE, THROUGHPUT_UPGRADE
    maxDailyConversationsPerBusiness: str | None = None  # TIER_250 ... TIER_UNLIMITED


class CapabilityEvent(BaseModel):
    """Meta changes a portfolio's messaging limit (``business_capability_update``)."""

    wabaId: str
    maxDailyConversationsPerBusiness: int  # 250, 2000, 10000, 100000; -1: unlimited


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
