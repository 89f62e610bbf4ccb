"""Meta's webhook shapes of the message kinds beyond text, media and buttons.

Kept beside :mod:`.wire` (which declares the message itself) so that each kind's
fields sit next to the page that defines them. Unknown fields are ignored.
Messages object: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components#messages-object
Inbound kinds: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
"""

from __future__ import annotations

from msgboxx.channels.cloud_api.wire_base import Wire

# --- contacts: vCards the customer shared --------------------------------


class CardName(Wire):
    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class CardPhone(Wire):
    """``phone`` as the customer's address book wrote it; ``wa_id`` if it is on WhatsApp."""

    phone: str | None = None
    type: str | None = None
    wa_id: str | None = None


class CardEmail(Wire):
    email: str | None = None
    type: str | None = None


class CardOrg(Wire):
    company: str | None = None
    department: str | None = None
    title: str | None = None


class ContactCard(Wire):
    """One shared contact (Meta also sends addresses, urls and birthday; we keep these)."""

    name: CardName | None = None
    phones: list[CardPhone] = []
    emails: list[CardEmail] = []
    org: CardOrg | None = None


# --- interactive: a WhatsApp Flow's answer ---------------------------------


class FlowReply(Wire):
    """``nfm_reply``: the Flow's ``body`` text and its answers as a JSON string."""

    name: str | None = None
    body: str | None = None
    response_json: str | None = None


# --- order: a cart sent from a catalog ------------------------------------


class ProductItem(Wire):
    product_retailer_id: str | None = None
    quantity: int | None = None
    item_price: int | float | None = None
    currency: str | None = None


class OrderBody(Wire):
    catalog_id: str | None = None
    text: str | None = None
    product_items: list[ProductItem] = []


# --- referral: the ad or post a click-to-WhatsApp message came from -------


class WelcomeMessage(Wire):
    text: str | None = None


class Referral(Wire):
    """Beside any message's own body: what the customer clicked to start the chat."""

    source_url: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None
    welcome_message: WelcomeMessage | None = None
