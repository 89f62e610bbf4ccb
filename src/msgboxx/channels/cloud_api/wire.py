"""Meta's wire types: what we post to the Graph API and what its webhooks carry.

Unknown fields are ignored (Meta adds fields often); only what we use is declared.
Sending: https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
Webhooks: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview
Templates: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
Errors: https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field

from msgboxx.channels.cloud_api.wire_base import Wire as Wire  # every wire type's base
from msgboxx.channels.cloud_api.wire_kinds import ContactCard, FlowReply, OrderBody, Referral

# --- Sending ---------------------------------------------------------------


class TextBody(Wire):
    """``text`` of a text message; ``body`` at most 4,096 characters."""

    body: str
    preview_url: bool = False


class Parameter(Wire):
    type: Literal["text"] = "text"
    text: str


class OutgoingMedia(Wire):
    """``image``, ``audio``, ``video``, ``document`` or ``sticker`` of a media message.

    By the ``id`` an upload gave; ``caption`` (≤ 1,024) not for audio and stickers,
    ``filename`` for documents only.
    https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media
    """

    id: str
    caption: str | None = None
    filename: str | None = None


class MediaParameter(Wire):
    """A template header's media: ``{"type": "image", "image": {"id": ...}}``."""

    type: Literal["image", "video", "document"]
    image: OutgoingMedia | None = None
    video: OutgoingMedia | None = None
    document: OutgoingMedia | None = None


class Component(Wire):
    type: Literal["body", "header", "button"] = "body"
    parameters: list[Parameter | MediaParameter]


class Language(Wire):
    code: str


class TemplateBody(Wire):
    name: str
    language: Language
    components: list[Component] | None = None


class MediaUploaded(Wire):
    """``POST /{version}/{phone-number-id}/media`` answers with the media's id."""

    id: str


class SendRequest(Wire):
    """``POST /{version}/{phone-number-id}/messages``."""

    messaging_product: Literal["whatsapp"] = "whatsapp"
    recipient_type: Literal["individual"] = "individual"
    to: str
    type: Literal["text", "template", "image", "audio", "video", "document", "sticker"]
    text: TextBody | None = None
    template: TemplateBody | None = None
    image: OutgoingMedia | None = None
    audio: OutgoingMedia | None = None
    video: OutgoingMedia | None = None
    document: OutgoingMedia | None = None
    sticker: OutgoingMedia | None = None
    biz_opaque_callback_data: str | None = None


class SentMessage(Wire):
    id: str
    message_status: str | None = None


class SendResponse(Wire):
    """HTTP 200: accepted (not delivered); the ``wamid`` is what statuses name."""

    messaging_product: str = "whatsapp"
    contacts: list[dict[str, Any]] = []
    messages: list[SentMessage] = Field(min_length=1)


class ErrorData(Wire):
    messaging_product: str | None = None
    details: str | None = None


class GraphError(Wire):
    """Meta's error object, in send answers and in webhooks (``title``)."""

    code: int | None = None
    message: str | None = None
    title: str | None = None
    type: str | None = None
    error_data: ErrorData | None = None
    fbtrace_id: str | None = None


class ErrorResponse(Wire):
    error: GraphError


# --- Templates -------------------------------------------------------------


class TemplateExample(Wire):
    body_text: list[list[str]] | None = None


class TemplateComponent(Wire):
    type: str
    text: str | None = None
    format: str | None = None
    example: TemplateExample | None = None


class TemplateCreate(Wire):
    """``POST /{version}/{waba-id}/message_templates``."""

    name: str
    category: str
    language: str
    parameter_format: Literal["positional", "named"] = "positional"
    components: list[TemplateComponent]


class TemplateCreated(Wire):
    id: str
    status: str | None = None
    category: str | None = None


class TemplateInfo(Wire):
    """One template of ``GET /{version}/{waba-id}/message_templates``."""

    id: str
    name: str
    language: str
    status: str
    category: str = "UTILITY"
    parameter_format: str | None = None
    components: list[TemplateComponent] = []
    rejected_reason: str | None = None


class Cursors(Wire):
    before: str | None = None
    after: str | None = None


class Paging(Wire):
    cursors: Cursors | None = None
    next: str | None = None


class TemplateList(Wire):
    data: list[TemplateInfo]
    paging: Paging | None = None


# --- Webhooks --------------------------------------------------------------


class Metadata(Wire):
    display_phone_number: str | None = None
    phone_number_id: str


class Profile(Wire):
    name: str | None = None
    username: str | None = None


class WebhookContact(Wire):
    """Who wrote: ``wa_id`` is withheld for users with a username, ``user_id`` (BSUID) is not."""

    wa_id: str | None = None
    user_id: str | None = None
    profile: Profile | None = None


class MediaBody(Wire):
    """An image, video, audio, document or sticker: fetched by ``id`` afterwards.

    ``sha256`` is Meta's digest of the file (checked after the download);
    ``voice`` marks an audio recorded as a voice note, ``animated`` a sticker.
    """

    id: str | None = None
    caption: str | None = None
    filename: str | None = None
    mime_type: str | None = None
    sha256: str | None = None
    voice: bool | None = None
    animated: bool | None = None


class ButtonBody(Wire):
    """A quick-reply button of a template the customer tapped."""

    text: str | None = None
    payload: str | None = None


class Reply(Wire):
    """The reply button or list row the customer picked (rows have a description)."""

    id: str | None = None
    title: str | None = None
    description: str | None = None


class InteractiveBody(Wire):
    type: str | None = None
    button_reply: Reply | None = None
    list_reply: Reply | None = None
    nfm_reply: FlowReply | None = None


class ReactionBody(Wire):
    message_id: str | None = None
    emoji: str | None = None


class LocationBody(Wire):
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None
    address: str | None = None
    url: str | None = None


class SystemBody(Wire):
    """A notice about the customer (``user_changed_number``: ``wa_id`` -> ``new_wa_id``)."""

    body: str | None = None
    type: str | None = None
    wa_id: str | None = None
    new_wa_id: str | None = None
    user_id: str | None = None
    new_user_id: str | None = None


class IncomingMessage(Wire):
    """One customer message; ``from`` is absent when only the user id (BSUID) is shared."""

    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = Field(
        default=None, validation_alias=AliasChoices("from_user_id", "user_id")
    )
    id: str
    timestamp: str
    type: str
    group_id: str | None = None
    text: TextBody | None = None
    image: MediaBody | None = None
    video: MediaBody | None = None
    audio: MediaBody | None = None
    document: MediaBody | None = None
    sticker: MediaBody | None = None
    button: ButtonBody | None = None
    interactive: InteractiveBody | None = None
    reaction: ReactionBody | None = None
    location: LocationBody | None = None
    contacts: list[ContactCard] | None = None
    order: OrderBody | None = None
    referral: Referral | None = None
    system: SystemBody | None = None
    errors: list[GraphError] = []


class Status(Wire):
    id: str
    status: str
    timestamp: str
    recipient_id: str | None = None
    errors: list[GraphError] = []
    biz_opaque_callback_data: str | None = None


class MessagesValue(Wire):
    """``field: "messages"``: inbound messages and delivery statuses.

    Only the envelope is read at once: each contact, message and status is read
    on its own (see :mod:`.incoming`), so one we cannot read costs only itself.
    """

    messaging_product: str | None = None
    metadata: Metadata
    contacts: list[Any] = []
    messages: list[Any] = []
    statuses: list[Any] = []


class UserPreference(Wire):
    wa_id: str
    category: str | None = None
    value: str
    detail: str | None = None
    timestamp: int | str | None = None


class UserPreferencesValue(Wire):
    """``field: "user_preferences"``: a customer stopped or resumed marketing messages."""

    messaging_product: str | None = None
    metadata: Metadata
    user_preferences: list[Any] = []


class TemplateStatusValue(Wire):
    """``field: "message_template_status_update"``."""

    event: str
    message_template_id: int | str
    message_template_name: str = ""
    message_template_language: str = ""
    reason: str | None = None
    message_template_category: str | None = None


class QualityUpdateValue(Wire):
    """``field: "phone_number_quality_update"``: a number's quality or messaging limit changed.

    https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_quality_update
    """

    display_phone_number: str
    event: str
    current_limit: str | None = None
    old_limit: str | None = None
    # The portfolio's limit: TIER_250 ... TIER_UNLIMITED (or a number; -1 is unlimited).
    max_daily_conversations_per_business: str | int | None = None


class CapabilityUpdateValue(Wire):
    """``field: "business_capability_update"``: the portfolio's messaging limit changed.

    https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/business_capability_update
    """

    max_daily_conversations_per_business: str | int | None = None
    # Deprecated by Meta in favour of the field above; read when it is alone.
    max_daily_conversation_per_phone: str | int | None = None


class Change(Wire):
    field: str
    value: dict[str, Any]


class Entry(Wire):
    id: str
    changes: list[Any] = []


class WebhookBody(Wire):
    """The envelope of every event POST (``object: whatsapp_business_account``)."""

    object: str
    entry: list[Any] = []
