"""The official Python SDK of the msgboxx API.

    from msgboxx.client import Client

    with Client("http://127.0.0.1:8000", username="...", password="...") as msgboxx:
        account = next(msgboxx.apiaccounts.list())
        ...

``AsyncClient`` offers the same calls for asyncio. Both sign in (and again when
the token expires), put an ``Idempotency-Key`` on every POST, retry 429s, 5xx
and broken connections with backoff (honouring ``Retry-After``), and walk pages
for you.
"""

from __future__ import annotations

from msgboxx.client._async import AsyncClient
from msgboxx.client._exceptions import (
    ApiError,
    AuthenticationError,
    Conflict,
    ConnectionFailed,
    MsgboxxError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    ValidationFailed,
    WebhookVerificationError,
)
from msgboxx.client._policy import RetryPolicy
from msgboxx.client._sync import Client
from msgboxx.client.models import (
    ApiAccount,
    Broadcast,
    Contact,
    Event,
    ImportProblem,
    ImportReport,
    Inbox,
    Message,
    Template,
    Webhook,
    WebhookCreated,
)
from msgboxx.client.webhooks import verify_webhook

__all__ = [
    "ApiAccount",
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "Broadcast",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "Contact",
    "Event",
    "ImportProblem",
    "ImportReport",
    "Inbox",
    "Message",
    "MsgboxxError",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "Template",
    "ValidationFailed",
    "Webhook",
    "WebhookCreated",
    "WebhookVerificationError",
    "verify_webhook",
]
