"""Fetching a media URL a client gave: by us, through the address rule, checked as it streams.

Meta could fetch a ``link`` itself, but then a file we never saw would be sent
in our name, refused long after the 201 if it is too large or of the wrong
type. So the URL is fetched here, once, before the message is accepted: its
host must resolve to public addresses only (``core/addresses.py``, the rule
webhooks follow too) unless ``MSGBOXX_MEDIA_FETCH_ALLOW_PRIVATE`` allows
otherwise, the connection goes to the very addresses checked, redirects are
followed a few times and each is checked again, and the body is checked by
its first bytes and refused as soon as it passes the kind's limit.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx

from msgboxx.core import addresses
from msgboxx.core.errors import ProblemError, Unprocessable
from msgboxx.media.errors import MediaTooLarge
from msgboxx.media.kinds import RULES, MediaKind
from msgboxx.media.service import Stored, put_stream
from msgboxx.media.storage import CHUNK_BYTES, MediaStore

FIELD = "media.url"
MAX_REDIRECTS = 3
_REDIRECTS = (301, 302, 303, 307, 308)


def _refuse(message: str) -> ProblemError:
    return Unprocessable.for_field(FIELD, message)


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise _refuse("is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _refuse("must be an http:// or https:// URL with a host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise _refuse("has a port outside 1 to 65535")
    return parsed


async def _checked_address(url: httpx.URL, *, allow_private: bool) -> addresses.IPAddress:
    """The first address of the URL's host, every one of which the rule allows."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = await addresses.addresses_of(host, port)
    except addresses.Unresolvable:
        raise _refuse(f"the host {host} cannot be resolved") from None
    if not allow_private:
        for address in found:
            if not addresses.is_public(address):
                raise _refuse(
                    f"resolves to {address}, a loopback, private, link-local or reserved "
                    "address; media is only fetched from public addresses"
                )
    return found[0]


async def fetch(
    media_store: MediaStore,
    url: str,
    *,
    kind: MediaKind,
    organisation_id: uuid.UUID,
    contact_id: uuid.UUID | None,
    allow_private: bool,
    timeout_seconds: float,
) -> Stored:
    """Fetch ``url`` into the store as ``kind``: 422 if it cannot be, 413 or 415 for its content."""
    target = _parse(url)
    limit = RULES[kind].max_bytes_animated or RULES[kind].max_bytes
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds)),
        follow_redirects=False,
        headers={"User-Agent": "msgboxx media fetch"},
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            address = await _checked_address(target, allow_private=allow_private)
            host = target.raw_host.decode("ascii")
            request = client.build_request(
                "GET",
                target.copy_with(host=str(address)),
                headers={"Host": target.netloc.decode("ascii")},
                extensions={"sni_hostname": host} if target.scheme == "https" else {},
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise _refuse(f"could not be fetched: {type(exc).__name__}") from None
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    target = _parse(str(target.join(response.headers["location"])))
                    continue
                if not 200 <= response.status_code < 300:
                    raise _refuse(f"answered HTTP {response.status_code}")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > limit:
                    raise MediaTooLarge(
                        f"the file at the URL is {length} bytes, over WhatsApp's limit of"
                        f" {limit} bytes for a {kind}",
                        max_bytes=limit,
                        size=int(length),
                    )
                return await put_stream(
                    media_store,
                    _body(response),
                    organisation_id=organisation_id,
                    kind=kind,
                    declared_type=response.headers.get("content-type"),
                    filename=target.path.rsplit("/", 1)[-1] or None,
                    contact_id=contact_id,
                )
            finally:
                with contextlib.suppress(httpx.HTTPError):
                    await response.aclose()
    raise _refuse(f"redirected more than {MAX_REDIRECTS} times")


async def _body(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes(CHUNK_BYTES):
            yield chunk
    except httpx.HTTPError as exc:
        raise _refuse(f"the download failed: {type(exc).__name__}") from None
