"""Which addresses this server may send requests to on a customer's word: one rule for every domain.

A webhook target and a media URL both make this server connect where a
customer said, so both refuse what is not globally routable (loopback, private,
link-local, metadata or reserved ranges), including the IPv4 address an IPv6
address may carry (mapped, compatible, NAT64, 6to4, Teredo), since those reach
it too. Each domain words its own refusal; the rule is here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

RESOLVE_TIMEOUT_SECONDS = 5.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Translators to IPv4 (RFC 6052, RFC 8215): the well-known prefix carries the IPv4
# address in its last 32 bits; the local-use one leads wherever its operator chose.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
# IPv4-compatible addresses (RFC 4291, deprecated): ::a.b.c.d, with :: and ::1.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class Unresolvable(Exception):
    """The host has no address (or the resolver did not answer in time)."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (6to4, Teredo, NAT64, compatible)."""
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return [ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)]
    return []


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` (and every address it carries) is globally routable unicast."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)  # the IPv4 address itself
        if address in _NAT64_LOCAL_USE:
            return False
        if not all(is_public(carried) for carried in _embedded_ipv4(address)):
            return False
    return address.is_global and not address.is_multicast


async def addresses_of(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to now (itself for a literal), without repeats."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        raise Unresolvable(host) from None
    found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return list(dict.fromkeys(found))
