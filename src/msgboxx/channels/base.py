"""The channel interface, the events channels report, and the one send error.

A channel does three things: hand a message to the network, submit a template
for approval, and report back what happened through :class:`ChannelEvent` values
that :mod:`msgboxx.intake` writes in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from msgboxx.messages.status import MessageStatus
from msgboxx.templates.models import TemplateStatus


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


@dataclass(frozen=True, slots=True)
class StatusReport:
    provider_message_id: str
    status: MessageStatus
    at: datetime
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class InboundText:
    """A customer's message, addressed to one of our numbers."""

    to_number: str
    from_number: str
    provider_message_id: str
    text: str
    at: datetime
    kind: str = "text"
    profile_name: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateVerdict:
    template_id: uuid.UUID
    status: TemplateStatus
    reason: str | None = None


ChannelEvent = StatusReport | InboundText | TemplateVerdict


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


class Channel(Protocol):
    async def send(self, message: OutboundMessage) -> str:
        """Hand the message to the network; return the provider's message id."""
        ...

    async def submit_template(self, template: TemplateSubmission) -> str:
        """Submit a template for approval; return the provider's template id."""
        ...
