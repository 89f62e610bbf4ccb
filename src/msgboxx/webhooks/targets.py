"""Which target URLs a subscription may use: the server-side request forgery rule.

A webhook makes this server send requests to an address a customer chose, so
only public http(s) addresses are allowed: every address the host resolves to
must be globally routable (``core/addresses.py``, the rule media URLs follow
too). The check runs at
subscription and again before every attempt, because DNS answers can change; an
attempt connects to the very addresses it checked (see :class:`Resolved`), so a
name cannot answer once for the check and again, differently, for the connection.
``MSGBOXX_WEBHOOK_ALLOW_PRIVATE=true`` lifts the address rule for local
development and tests; the scheme rule always holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from msgboxx.core import addresses
from msgboxx.core.addresses import IPAddress
from msgboxx.core.errors import ProblemError, Unprocessable

FIELD = "targetUrl"


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


async def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        return await addresses.addresses_of(host, port)
    except addresses.Unresolvable:
        raise _refuse(f"the host {host} cannot be resolved") from None


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
    found = await _addresses(parsed.raw_host.decode("ascii"), port)
    if not allow_private:
        for address in found:
            if not addresses.is_public(address):
                raise _refuse(
                    f"resolves to {address}, a loopback, private, link-local or reserved "
                    "address; webhooks are only sent to public addresses"
                )
    return Resolved(parsed, found)


async def check(url: str, *, allow_private: bool) -> httpx.URL:
    """Refuse (422 naming targetUrl) a URL this server must not send requests to."""
    if allow_private:
        return parse(url)  # no need to resolve what will not be refused
    return (await resolve(url, allow_private=False)).url
