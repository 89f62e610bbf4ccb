"""The media the double holds: bytes by Meta-style media id, and the short-lived URLs to them.

Meta answers ``GET /{media-id}`` with a download URL on its lookaside host that
works for a few minutes and only with the bearer token; the double signs its
own URLs the same way (``mid``, ``ext`` = when it expires, ``hash``), so a
fetcher that keeps a URL too long, or drops the token, fails as it would at Meta.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import time
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class HeldMedia:
    id: str
    data: bytes = field(repr=False)
    mime_type: str
    # What GET /{media-id} reports: the bytes' own hash unless a test asked for another.
    sha256: str

    @property
    def file_size(self) -> int:
        return len(self.data)


@dataclass(slots=True)
class MediaShelf:
    """Media by id, plus the faults tests set on its downloads."""

    items: dict[str, HeldMedia] = field(default_factory=dict)
    # How long a download URL works (Meta's last about five minutes).
    url_seconds: float = 300.0
    # The next this many downloads answer ``failing_status`` instead of the bytes.
    failing_downloads: int = 0
    failing_status: int = 500
    downloads: int = 0  # downloads served whole, for tests
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(16), repr=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(7_100_000_000_001))

    def add(self, data: bytes, mime_type: str, *, sha256: str | None = None) -> HeldMedia:
        """Hold ``data`` under a new id (Meta's ids are numeric strings)."""
        media_id = str(next(self._ids))
        held = HeldMedia(
            id=media_id,
            data=data,
            mime_type=mime_type,
            sha256=sha256 or hashlib.sha256(data).hexdigest(),
        )
        self.items[media_id] = held
        return held

    def signature(self, media_id: str, expires: int) -> str:
        message = f"{media_id}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def signed_query(self, media_id: str) -> dict[str, str]:
        """The query of a download URL for ``media_id`` that works for ``url_seconds``."""
        expires = int(time.time() + self.url_seconds)
        return {"mid": media_id, "ext": str(expires), "hash": self.signature(media_id, expires)}

    def by_signed(self, *, mid: str, ext: str, hash_: str) -> HeldMedia | None:
        """The media a download URL names, if its signature holds and it has not expired."""
        if not ext.isdigit() or not hmac.compare_digest(self.signature(mid, int(ext)), hash_):
            return None
        if int(ext) < time.time():
            return None
        return self.items.get(mid)

    def download_fails(self) -> bool:
        """Whether this download is one a test asked to fail (counting it down)."""
        if self.failing_downloads <= 0:
            return False
        self.failing_downloads -= 1
        return True
