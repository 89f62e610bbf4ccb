"""The channel interface, the events channels report, and the one send error.

A channel does three things: hand a message to the network, submit a template
for approval, and report back what happened through :class:`ChannelEvent` values
that :mod:`msgboxx.intake` writes in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from msgboxx.contacts.status import ContactStatus
from msgboxx.media.errors import MediaNotFound, MediaStoreUnavailable
from msgboxx.media.storage import MediaStream
from msgboxx.messages.status import MessageStatus
from msgboxx.templates.status import TemplateStatus


@dataclass(frozen=True, slots=True)
class OutboundMedia:
    """The media a message sends, and how to read its bytes (from the media store).

    ``open`` opens the stored bytes afresh on every call, so a channel that
    retries an upload reads them again from the start; the caller closes each
    stream it opens.
    """

    kind: str  # image, audio, video, document or sticker
    mime_type: str
    size: int
    open: Callable[[], Awaitable[MediaStream]] = field(repr=False)
    filename: str | None = None
    caption: str | None = None

    async def open_to_send(self) -> MediaStream:
        """The stored bytes, or the `SendError` every channel reports when it cannot read them:
        gone from the store is final, a store that fails is retried."""
        try:
            return await self.open()
        except MediaNotFound:
            raise SendError(
                "the media's bytes are gone from the store", code="media-missing", retryable=False
            ) from None
        except MediaStoreUnavailable as exc:
            raise SendError(
                f"the media store failed: {exc}", code="media-store", retryable=True
            ) from None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """What the dispatcher asks a channel to send."""

    message_id: uuid.UUID
    account_id: uuid.UUID
    from_number: str
    to_number: str
    text: str
    template_name: str | None = None
    template_language: str | None = None
    template_parameters: list[str] = field(default_factory=list)
    # The account's channel settings (credentials for a real network; never logged).
    channel_settings: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # A media message's media (``text`` is then its caption, or empty).
    media: OutboundMedia | None = None


@dataclass(frozen=True, slots=True)
class TemplateSubmission:
    template_id: uuid.UUID
    account_id: uuid.UUID
    from_number: str
    name: str
    language: str
    category: str
    text: str
    example: str | None
    channel_settings: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # A media header (image, video or document), if the template has one.
    header_type: str | None = None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The network's word on a message it took from us.

    ``to_number`` is our number the network reported for: the report may only
    touch that account's messages. A channel reporting on ids it made itself
    (the sandbox) leaves it None.
    """

    provider_message_id: str
    status: MessageStatus
    at: datetime
    failure_reason: str | None = None
    to_number: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMedia:
    """Media a customer sent, as the network announced it: fetched from it afterwards."""

    provider_media_id: str
    kind: str  # image, video, audio, document or sticker (a voice note is audio)
    mime_type: str | None = None
    sha256: str | None = None  # as the network gave it, checked after the download
    filename: str | None = None
    caption: str | None = None
    voice: bool = False
    animated: bool = False


@dataclass(frozen=True, slots=True)
class InboundText:
    """A customer's message, addressed to one of our numbers.

    The customer is known by number, by WhatsApp user id (users with a username
    may withhold their number), or both; at least one is given.
    """

    to_number: str
    from_number: str | None
    provider_message_id: str
    text: str
    at: datetime
    kind: str = "text"
    profile_name: str | None = None
    from_user_id: str | None = None
    # What the message holds beyond its text (``messages.content``): a location's
    # coordinates, a Flow reply's data, a reaction, ...; and its media, if any.
    content: Mapping[str, Any] | None = None
    media: InboundMedia | None = None


@dataclass(frozen=True, slots=True)
class TemplateVerdict:
    template_id: uuid.UUID
    status: TemplateStatus
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateStatusUpdate:
    """The network's word on a template it knows by its own id (or name and language)."""

    waba_id: str
    provider_template_id: str
    name: str
    language: str
    status: TemplateStatus
    provider_status: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """A customer stopped or resumed marketing messages from one of our numbers."""

    to_number: str
    from_number: str
    status: ContactStatus
    at: datetime


@dataclass(frozen=True, slots=True)
class NumberChange:
    """A customer moved to a new phone number: their contact follows, history and all."""

    to_number: str
    from_number: str
    new_number: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    """Whether an account's credentials work; shown in /readyz and the account."""

    account_id: uuid.UUID
    healthy: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CapabilityChange:
    """Meta's word on a business account's messaging tier, or on one number's quality.

    ``to_number`` names the number (a quality update); None: every number of the
    business account. The tier (a ``msgboxx.core.tiers.MessagingTier`` value) is
    the whole business portfolio's, so it becomes its organisation's.
    """

    waba_id: str
    to_number: str | None
    quality: str | None = None
    tier: str | None = None


ChannelEvent = (
    StatusReport
    | InboundText
    | TemplateVerdict
    | TemplateStatusUpdate
    | ConsentChange
    | NumberChange
    | ChannelHealth
    | CapabilityChange
)

# How a channel hands events to the core (``intake.apply_batch`` in a process).
Reporter = Callable[[Sequence[ChannelEvent]], Awaitable[object]]


class SendError(Exception):
    """A send the channel did not accept; the dispatcher reads only these fields."""

    def __init__(
        self, reason: str, *, code: str, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RemoteTemplate:
    """A template as the network lists it (WhatsApp Manager is the source of truth)."""

    provider_template_id: str
    name: str
    language: str
    category: str
    status: TemplateStatus
    provider_status: str
    text: str
    reason: str | None = None


class Channel(Protocol):
    async def send(self, message: OutboundMessage) -> str:
        """Hand the message to the network; return the provider's message id."""
        ...

    async def submit_template(self, template: TemplateSubmission) -> str:
        """Submit a template for approval; return the provider's template id."""
        ...


@runtime_checkable
class TemplateSource(Protocol):
    """A channel that can list the templates an account already has on the network."""

    async def list_templates(self, channel_settings: Mapping[str, Any]) -> list[RemoteTemplate]:
        """Every template of the account, following the network's paging."""
        ...


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    """Media the network is handing over: what it says of it, then its bytes in chunks.

    ``sha256`` and ``size`` are the network's word, checked against the bytes by the
    fetch; ``chunks`` may raise :class:`MediaFetchError` part-way (a dropped download).
    """

    mime_type: str | None
    sha256: str | None
    size: int | None
    chunks: AsyncIterator[bytes]


class MediaFetchError(Exception):
    """A download of inbound media that did not happen; the fetch reads only these fields."""

    def __init__(self, reason: str, *, code: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.retryable = retryable


@runtime_checkable
class MediaSource(Protocol):
    """A channel that can hand over the media its customers sent (``InboundMedia``)."""

    def fetch_media(
        self, channel_settings: Mapping[str, Any], provider_media_id: str
    ) -> AbstractAsyncContextManager[FetchedMedia]:
        """Open the download of one piece of media, or raise :class:`MediaFetchError`.

        The download is open for the block only: read ``chunks`` inside it.
        """
        ...
