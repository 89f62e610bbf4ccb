"""Inbound media from the Cloud API: ``GET /{media-id}`` for a URL, then the download.

Meta's URL lasts minutes and wants the same bearer token as the Graph API, so
the two steps run back to back, and the bytes stream through (a 100 MB document
never sits in memory). Every failure leaves as :class:`MediaFetchError`, whose
``retryable`` comes from Meta's error table (:mod:`.errors`), as a send's does.
httpx rather than the sender's aiohttp session: this is no hot path, and httpx's
streaming responses close cleanly however the reader leaves.
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#download-media
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from msgboxx.channels.base import FetchedMedia, MediaFetchError
from msgboxx.channels.cloud_api import errors, wire
from msgboxx.channels.cloud_api.credentials import CloudApiCredentials, MissingCredentials

CHUNK_BYTES = 256 * 1024


class MediaInfo(wire.Wire):
    """Meta's answer to ``GET /{media-id}`` (``file_size`` is sometimes a string)."""

    url: str
    mime_type: str | None = None
    sha256: str | None = None
    file_size: int | None = None
    id: str | None = None


class CloudApiMedia:
    """Fetches media of Cloud API accounts (a :class:`~msgboxx.channels.base.MediaSource`)."""

    def __init__(self, *, base_url: str, version: str, timeout: float) -> None:
        self._base = f"{base_url.rstrip('/')}/{version.strip('/')}"
        # A read timeout between chunks, not for the whole download: a large
        # document on a slow link may take longer than any single wait.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            follow_redirects=True,
            trust_env=False,
            headers={"User-Agent": "msgboxx"},
        )

    @contextlib.asynccontextmanager
    async def fetch_media(
        self, channel_settings: Mapping[str, Any], provider_media_id: str
    ) -> AsyncIterator[FetchedMedia]:
        try:
            token = CloudApiCredentials.from_settings(channel_settings).access_token
        except MissingCredentials as exc:
            raise MediaFetchError(str(exc), code="no-credentials", retryable=False) from None
        headers = {"Authorization": f"Bearer {token}"}
        info = await self._info(provider_media_id, headers)
        try:
            async with self._client.stream("GET", info.url, headers=headers) as response:
                if not 200 <= response.status_code < 300:
                    await response.aread()
                    raise _download_refused(response)
                yield FetchedMedia(
                    mime_type=info.mime_type,
                    sha256=info.sha256,
                    size=info.file_size,
                    chunks=_chunks(response),
                )
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc

    async def _info(self, media_id: str, headers: Mapping[str, str]) -> MediaInfo:
        url = f"{self._base}/{quote(media_id, safe='')}"
        try:
            response = await self._client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        if not 200 <= response.status_code < 300:
            raise _graph_refused(response)
        try:
            return MediaInfo.model_validate_json(response.content)
        except ValidationError:
            unreadable = "WhatsApp's answer about the media was unreadable"
            raise MediaFetchError(unreadable, code="bad-answer", retryable=True) from None

    async def close(self) -> None:
        await self._client.aclose()


async def _chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes(CHUNK_BYTES):
            yield chunk
    except httpx.HTTPError as exc:
        raise _unreachable(exc) from exc


def _graph_refused(response: httpx.Response) -> MediaFetchError:
    """Meta's error body, classified by its code like a send's (100: no such media)."""
    code: int | None = None
    details: str | None = None
    try:
        error = wire.ErrorResponse.model_validate_json(response.content).error
        code = error.code
        details = error.error_data.details if error.error_data else error.message
    except ValidationError:
        pass
    kind = errors.classify(code, http_status=response.status_code)
    reason = errors.reason(code, kind, details)
    return MediaFetchError(
        reason[:500],
        code=str(code) if code is not None else f"http-{response.status_code}",
        retryable=kind.retryable,
    )


def _download_refused(response: httpx.Response) -> MediaFetchError:
    """The download URL refused: worth another try (a new URL) unless the token is wrong."""
    status = response.status_code
    if status in (401, 403):
        return _graph_refused(response)
    return MediaFetchError(
        f"WhatsApp's media download answered HTTP {status}",
        code=f"download-http-{status}",
        retryable=True,
    )


def _unreachable(exc: httpx.HTTPError) -> MediaFetchError:
    if isinstance(exc, httpx.TimeoutException):
        return MediaFetchError("WhatsApp did not answer in time", code="timeout", retryable=True)
    return MediaFetchError(
        f"cannot reach WhatsApp: {type(exc).__name__}", code="network", retryable=True
    )
