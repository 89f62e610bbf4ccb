"""Which target URLs a subscription may use: the server-side request forgery rule.

A webhook makes this server send requests to an address a customer chose, so
only public http(s) addresses are allowed: every address the host resolves to
must be globally routable (no loopback, private, link-local, metadata or
reserved ranges). The check runs at subscription and again before every attempt,
because DNS answers can change. ``MSGBOXX_WEBHOOK_ALLOW_PRIVATE=true`` lifts the
address rule for local development and tests; the scheme rule always holds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

from msgboxx.core.errors import ProblemError, Unprocessable

FIELD = "targetUrl"
RESOLVE_TIMEOUT_SECONDS = 5.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _refuse(message: str) -> ProblemError:
    return Unprocessable.for_field(FIELD, message)


def parse(url: str) -> httpx.URL:
    """The URL, if it is an absolute http(s) URL with a host; 422 otherwise."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise _refuse("is not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise _refuse("must be an http:// or https:// URL")
    if not parsed.host:
        raise _refuse("must name a host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise _refuse("has a port outside 1 to 65535")
    return parsed


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        raise _refuse(f"the host {host} cannot be resolved") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def check(url: str, *, allow_private: bool) -> httpx.URL:
    """Refuse (422 naming targetUrl) a URL this server must not send requests to."""
    parsed = parse(url)
    if allow_private:
        return parsed
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    for address in await _addresses(parsed.host, port):
        if not _is_public(address):
            raise _refuse(
                f"resolves to {address}, a loopback, private, link-local or reserved "
                "address; webhooks are only sent to public addresses"
            )
    return parsed
