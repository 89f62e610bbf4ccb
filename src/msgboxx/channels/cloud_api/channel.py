"""The Cloud API over HTTP: the same code for Meta and for the sandbox double.

Only the base URL and the account's credentials differ. One aiohttp client
session per process (connection reuse), with timeouts; every failure leaves as a
:class:`SendError` whose fields come from :mod:`.errors`, so the dispatcher
decides retries from data alone.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Mapping
from typing import Any

import aiohttp
import orjson
from pydantic import ValidationError

from msgboxx.channels.base import (
    ChannelEvent,
    ChannelHealth,
    ConsentChange,
    OutboundMedia,
    OutboundMessage,
    RemoteTemplate,
    Reporter,
    SendError,
    TemplateSubmission,
)
from msgboxx.channels.cloud_api import errors, incoming, outgoing, wire
from msgboxx.channels.cloud_api.credentials import CloudApiCredentials, MissingCredentials
from msgboxx.contacts.status import ContactStatus
from msgboxx.core import background
from msgboxx.db import utcnow

log = logging.getLogger(__name__)


def new_client(*, timeout: float = 10.0) -> aiohttp.ClientSession:
    """The process's one client for the Graph API; made inside the running loop.

    aiohttp rather than httpx: at a few hundred sends a second httpx's
    connection pool cost 1.6-3.5 ms of CPU per request against 0.08 ms for
    aiohttp (same machine and server; docs/benchmarks.md), more than the rest of
    a message's life together. Every connection it opens is kept: at an
    upgraded number's rate a hundred sends are out at once, and closing them
    cost a new TCP (and TLS) handshake per send.
    """
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout, connect=min(5.0, timeout)),
        connector=aiohttp.TCPConnector(limit=100),
        headers={"User-Agent": "msgboxx"},
    )


class CloudApiChannel:
    def __init__(
        self,
        *,
        client: aiohttp.ClientSession,
        base_url: str,
        version: str,
        report: Reporter,
    ) -> None:
        self._client = client
        self._base = f"{base_url.rstrip('/')}/{version.strip('/')}"
        # An upload of up to 100 MB has no total limit, only one on each read.
        self._upload_timeout = aiohttp.ClientTimeout(
            total=None, connect=5.0, sock_read=max(30.0, client.timeout.total or 0.0)
        )
        self._report = report
        self._unhealthy: set[uuid.UUID] = set()
        self._healthy: set[uuid.UUID] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, message: OutboundMessage) -> str:
        credentials = _credentials(message.channel_settings)
        url = f"{self._base}/{credentials.phone_number_id}/messages"
        try:
            media_id = None
            if message.media is not None:
                media_id = await self._upload(credentials, message.media)
            answer = await self._call(
                "POST",
                url,
                token=credentials.access_token,
                json=outgoing.send_body(message, media_id=media_id),
            )
        except _Refused as refused:
            self._after_refusal(refused, message=message)
            raise refused.error from None
        self._after_success(message.account_id)
        try:
            return wire.SendResponse.model_validate(answer).messages[0].id
        except ValidationError:
            # Accepted but unreadable: retrying could send twice, so do not.
            raise SendError(
                "WhatsApp accepted the message but gave no message id",
                code="bad-answer",
                retryable=False,
            ) from None

    async def _upload(self, credentials: CloudApiCredentials, media: OutboundMedia) -> str:
        """Upload the media's bytes, streamed from the store, for the number; Meta's media id.

        Uploaded again on every attempt: an id is cheap, and one kept would need
        its own expiry (30 days) and its own record per number.
        """
        url = f"{self._base}/{credentials.phone_number_id}/media"
        stream = await media.open_to_send()
        async with stream:
            answer = await self._call(
                "POST",
                url,
                token=credentials.access_token,
                form=outgoing.upload_form(media, stream),
                time_limits=self._upload_timeout,
            )
        try:
            return wire.MediaUploaded.model_validate(answer).id
        except ValidationError:
            raise SendError(
                "WhatsApp gave no media id for the upload", code="bad-answer", retryable=True
            ) from None

    async def submit_template(self, template: TemplateSubmission) -> str:
        credentials = _credentials(template.channel_settings)
        url = f"{self._base}/{credentials.waba_id}/message_templates"
        try:
            answer = await self._call(
                "POST", url, token=credentials.access_token, json=outgoing.template_body(template)
            )
        except _Refused as refused:
            if refused.kind.effect is errors.Effect.bad_credentials:
                self._mark(template.account_id, healthy=False, reason=refused.error.reason)
            raise refused.error from None
        self._after_success(template.account_id)
        try:
            return wire.TemplateCreated.model_validate(answer).id
        except ValidationError:
            raise SendError(
                "WhatsApp gave no template id", code="bad-answer", retryable=True
            ) from None

    async def list_templates(self, channel_settings: Mapping[str, Any]) -> list[RemoteTemplate]:
        credentials = _credentials(channel_settings)
        url = f"{self._base}/{credentials.waba_id}/message_templates"
        found: list[RemoteTemplate] = []
        after: str | None = None
        for _page in range(1000):  # a WABA holds at most 6,000 templates
            try:
                answer = await self._call(
                    "GET",
                    url,
                    token=credentials.access_token,
                    params=outgoing.template_list_params(after=after),
                )
                page = wire.TemplateList.model_validate(answer)
            except _Refused as refused:
                raise refused.error from None
            except ValidationError:
                raise SendError(
                    "WhatsApp's template list was unreadable", code="bad-answer", retryable=True
                ) from None
            found.extend(t for info in page.data if (t := incoming.remote_template(info)))
            cursors = page.paging.cursors if page.paging else None
            after = cursors.after if cursors else None
            if not page.data or not after or not (page.paging and page.paging.next):
                break
        return found

    async def _call(
        self,
        method: str,
        url: str,
        *,
        token: str,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        form: aiohttp.FormData | None = None,
        time_limits: aiohttp.ClientTimeout | None = None,
    ) -> Any:
        """One request; a refusal or a network failure becomes :class:`_Refused`."""
        headers = {"Authorization": f"Bearer {token}"}
        data: bytes | aiohttp.FormData | None = form
        if json is not None:
            headers["Content-Type"] = "application/json"
            data = orjson.dumps(json)
        try:
            async with self._client.request(
                method,
                url,
                data=data,
                params=params,
                headers=headers,
                timeout=time_limits or aiohttp.helpers.sentinel,
            ) as response:
                status, content = response.status, await response.read()
                retry_after = response.headers.get("retry-after")
        except TimeoutError as exc:
            kind = errors.ErrorKind(True, "WhatsApp did not answer in time", retry_after=2.0)
            raise _Refused(kind, SendError(kind.meaning, code="timeout", retryable=True)) from exc
        except aiohttp.ClientError as exc:
            kind = errors.ErrorKind(True, "cannot reach WhatsApp", retry_after=2.0)
            error = SendError(
                f"{kind.meaning}: {type(exc).__name__}", code="network", retryable=True
            )
            raise _Refused(kind, error) from exc
        if 200 <= status < 300:
            try:
                return orjson.loads(content)
            except ValueError:
                return None
        raise _refusal(status, content, retry_after)

    def _after_refusal(self, refused: _Refused, *, message: OutboundMessage) -> None:
        effect = refused.kind.effect
        if effect is errors.Effect.bad_credentials:
            self._mark(message.account_id, healthy=False, reason=refused.error.reason)
        elif effect is errors.Effect.unsubscribed:
            change = ConsentChange(
                to_number=message.from_number,
                from_number=message.to_number,
                status=ContactStatus.unsubscribed,
                at=utcnow(),
            )
            self._later(self._report([change]))

    def _after_success(self, account_id: uuid.UUID) -> None:
        if account_id in self._unhealthy or account_id not in self._healthy:
            self._mark(account_id, healthy=True, reason=None)

    def _mark(self, account_id: uuid.UUID, *, healthy: bool, reason: str | None) -> None:
        """Tell the core once per change (not per send) whether the credentials work."""
        if healthy:
            self._unhealthy.discard(account_id)
            self._healthy.add(account_id)
        else:
            self._healthy.discard(account_id)
            self._unhealthy.add(account_id)
        event: ChannelEvent = ChannelHealth(account_id, healthy, reason)
        self._later(self._report([event]))

    def _later(self, work: Awaitable[object]) -> None:
        """Report outside the caller: it may hold the database's one writer."""
        background.start(self._tasks, work, failure="reporting a Cloud API event failed")

    async def drain(self) -> None:
        """Wait for reports already started (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()


class _Refused(Exception):
    def __init__(self, kind: errors.ErrorKind, error: SendError) -> None:
        super().__init__(error.reason)
        self.kind = kind
        self.error = error


def _refusal(status: int, content: bytes, retry_after_header: str | None) -> _Refused:
    code: int | None = None
    details = None
    try:
        parsed = wire.ErrorResponse.model_validate_json(content)
        code, details = parsed.error.code, parsed.error.error_data
    except ValidationError:
        pass
    kind = errors.classify(code, http_status=status)
    retry_after = kind.retry_after
    if retry_after_header and retry_after_header.isdigit():
        retry_after = max(retry_after or 0.0, float(retry_after_header))
    reason = errors.reason(code, kind, details.details if details else None)
    error = SendError(
        reason[:500],
        code=str(code) if code is not None else f"http-{status}",
        retryable=kind.retryable,
        retry_after=retry_after,
    )
    return _Refused(kind, error)


def _credentials(settings: Mapping[str, Any]) -> CloudApiCredentials:
    try:
        return CloudApiCredentials.from_settings(settings)
    except MissingCredentials as exc:
        raise SendError(str(exc), code="no-credentials", retryable=False) from None
