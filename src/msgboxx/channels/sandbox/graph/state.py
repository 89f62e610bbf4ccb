"""What the double knows: its settings, faults, templates, what it sent and still owes.

One :class:`GraphDouble` per app (``app.state.double``); the routes are thin
functions over it, and tests read it directly (``graph.double.sent``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import httpx
from fastapi import Depends, Request

from msgboxx.channels.sandbox.graph import payloads
from msgboxx.channels.sandbox.graph.media_shelf import MediaShelf
from msgboxx.channels.sandbox.graph.schemas import Fault
from msgboxx.core import background

if TYPE_CHECKING:
    from msgboxx.channels.sandbox.graph.uploads import Uploaded

log = logging.getLogger(__name__)
_KEPT = 100_000
_STATUSES_PER_WEBHOOK = 1000


@dataclass(slots=True)
class GraphConfig:
    """How the double behaves; mutable at run time through ``/control/config``."""

    webhook_url: str | None = None
    app_secret: str = "sandbox-app-secret"
    # None accepts any bearer token; otherwise others get Meta's error 190.
    access_token: str | None = None
    sent_delay: float = 0.2
    delivered_delay: float = 0.5
    read_delay: float = 1.0
    template_delay: float = 0.3
    # Meta puts status updates that fall due together into one webhook (up to
    # 1000 per POST); the double gathers those due within this window. 0 still
    # gathers those due at the same instant.
    status_batch_seconds: float = 0.05


@dataclass(slots=True)
class StoredTemplate:
    id: str
    waba_id: str
    name: str
    language: str
    category: str
    text: str
    status: str = "PENDING"

    def change(self, event: str, reason: str | None) -> dict[str, Any]:
        """The ``message_template_status_update`` webhook Meta sends when it changes."""
        value = {
            "event": event,
            "message_template_id": int(self.id),
            "message_template_name": self.name,
            "message_template_language": self.language,
            "reason": reason or "NONE",
        }
        return payloads.envelope(self.waba_id, "message_template_status_update", value)


@dataclass(slots=True)
class GraphDouble:
    config: GraphConfig
    faults: list[Fault] = field(default_factory=list)
    templates: list[StoredTemplate] = field(default_factory=list)
    # The last sends and webhook deliveries, for tests and /control/sent; bounded
    # so that a long benchmark does not grow the double without end.
    sent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=_KEPT))
    deliveries: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=_KEPT))
    # Status updates that fall due together, per (business account, number).
    gathering: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    waba_of_number: dict[str, str] = field(default_factory=dict)
    media: MediaShelf = field(default_factory=MediaShelf)  # media by id (.media_shelf)
    client: httpx.AsyncClient | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_000_001))
    # Media uploaded by businesses, by id (``uploads.py``): what a media send may name.
    uploads: dict[str, Uploaded] = field(default_factory=dict)

    async def open(self) -> None:
        """Start delivering webhooks (the app's lifespan)."""
        self.client = httpx.AsyncClient(timeout=10)

    async def close(self) -> None:
        """Give up what is still owed, and stop delivering."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.client is not None:
            await self.client.aclose()

    def fault_for(self, *, phone_number_id: str, recipient: str | None) -> Fault | None:
        digits = (recipient or "").lstrip("+")
        for fault in self.faults:
            if fault.phoneNumberId not in (None, phone_number_id):
                continue
            if fault.recipient is not None and fault.recipient.lstrip("+") != digits:
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            return fault
        return None

    def waba_of(self, phone_number_id: str) -> str:
        """The business account a number's webhooks name."""
        return self.waba_of_number.get(phone_number_id, phone_number_id)

    def template(self, *, name: object, language: object) -> StoredTemplate | None:
        """The first template of that name and language, in any business account."""
        return next((t for t in self.templates if t.name == name and t.language == language), None)

    def later(self, work: Awaitable[object]) -> None:
        background.start(self.tasks, work, failure="sandbox webhook delivery failed")

    def report_later(
        self, delay: float, *, waba: str, phone_number_id: str, status: dict[str, Any]
    ) -> None:
        """Report ``status`` after ``delay``, in one webhook with others that fall due with it."""
        asyncio.get_running_loop().call_later(delay, self._gather, waba, phone_number_id, status)

    def _gather(self, waba: str, phone_number_id: str, status: dict[str, Any]) -> None:
        key = (waba, phone_number_id)
        batch = self.gathering.setdefault(key, [])
        batch.append(status)
        if len(batch) >= _STATUSES_PER_WEBHOOK:
            self._flush(key)
        elif len(batch) == 1:
            asyncio.get_running_loop().call_later(
                self.config.status_batch_seconds, self._flush, key
            )

    def _flush(self, key: tuple[str, str]) -> None:
        batch = self.gathering.pop(key, None)
        if batch:
            waba, phone_number_id = key
            self.later(self.deliver(payloads.statuses(waba, phone_number_id, batch)))

    async def deliver(self, payload: dict[str, Any], *, fault: Fault | None = None) -> int | None:
        """POST a signed webhook as Meta does; retry a few times on anything but 200."""
        if fault is not None and fault.dropWebhooks:
            return None
        url = self.config.webhook_url
        if not url or self.client is None:
            log.warning("sandbox has no webhook URL; event not delivered")
            return None
        raw = json.dumps(payload, separators=(",", ":")).encode()
        signature = (
            "sha256=" + hmac.new(self.config.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        )
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        copies = 2 if fault is not None and fault.duplicate else 1
        status: int | None = None
        for _copy in range(copies):
            for wait in (0.0, 0.2, 1.0):
                await asyncio.sleep(wait)
                try:
                    response = await self.client.post(url, content=raw, headers=headers)
                    status = response.status_code
                except httpx.HTTPError:
                    status = None
                self.deliveries.append({"payload": payload, "status": status})
                if status == 200:
                    break
        return status


def double_of(request: Request) -> GraphDouble:
    """The app's one double (``app.state.double``)."""
    double: GraphDouble = request.app.state.double
    return double


async def _double(request: Request) -> GraphDouble:
    # Async: FastAPI runs a plain function dependency on its thread pool.
    return double_of(request)


# The app's one double, for a control route to declare (``double: Double``).
Double = Annotated[GraphDouble, Depends(_double)]
