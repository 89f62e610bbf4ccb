"""Which target URLs a subscription may use: the server-side request forgery rule.

A webhook makes this server send requests to an address a customer chose, so
only public http(s) addresses are allowed: every address the host resolves to
must be globally routable (no loopback, private, link-local, metadata or
reserved ranges), including the IPv4 address an IPv6 address may carry (mapped,
compatible, NAT64, 6to4, Teredo), since those reach it too. The check runs at
subscription and again before every attempt, because DNS answers can change; an
attempt connects to the very addresses it checked (see :class:`Resolved`), so a
name cannot answer once for the check and again, differently, for the connection.
``MSGBOXX_WEBHOOK_ALLOW_PRIVATE=true`` lifts the address rule for local
development and tests; the scheme rule always holds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

import httpx

from msgboxx.core.errors import ProblemError, Unprocessable

FIELD = "targetUrl"
RESOLVE_TIMEOUT_SECONDS = 5.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Translators to IPv4 (RFC 6052, RFC 8215): the well-known prefix carries the IPv4
# address in its last 32 bits; the local-use one leads wherever its operator chose.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
# IPv4-compatible addresses (RFC 4291, deprecated): ::a.b.c.d, with :: and ::1.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


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


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (6to4, Teredo, NAT64, compatible)."""
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return [ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)]
    return []


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return _is_public(address.ipv4_mapped)  # the IPv4 address itself
        if address in _NAT64_LOCAL_USE:
            return False
        if not all(_is_public(carried) for carried in _embedded_ipv4(address)):
            return False
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


@dataclass(frozen=True, slots=True)
class Resolved:
    """A target URL and the addresses its host had when they were checked."""

    url: httpx.URL
    addresses: list[IPAddress]

    def via(self, address: IPAddress) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """URL, headers and extensions of a request to ``address`` as if to the URL's host.

        The Host header and TLS (SNI and the certificate's name) keep the host
        the customer gave; httpx's ``sni_hostname`` request extension is its way
        to connect to an address other than the URL's host.
        """
        host = self.url.raw_host.decode("ascii")
        url = self.url.copy_with(host=str(address))
        extensions = {"sni_hostname": host} if self.url.scheme == "https" else {}
        return url, {"host": self.url.netloc.decode("ascii")}, extensions


async def resolve(url: str, *, allow_private: bool) -> Resolved:
    """Resolve the target's host once and refuse (422 naming targetUrl) a forbidden one."""
    parsed = parse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = list(dict.fromkeys(await _addresses(parsed.raw_host.decode("ascii"), port)))
    if not allow_private:
        for address in addresses:
            if not _is_public(address):
                raise _refuse(
                    f"resolves to {address}, a loopback, private, link-local or reserved "
                    "address; webhooks are only sent to public addresses"
                )
    return Resolved(parsed, addresses)


async def check(url: str, *, allow_private: bool) -> httpx.URL:
    """Refuse (422 naming targetUrl) a URL this server must not send requests to."""
    if allow_private:
        return parse(url)  # no need to resolve what will not be refused
    return (await resolve(url, allow_private=False)).url
