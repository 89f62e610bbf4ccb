"""Where media bytes are kept: one small streaming interface and the setting that picks a backend.

Every method streams: a 100 MB document passes through in chunks and never sits
in memory whole, on the way in (`MediaStore.put`) or out (`MediaStore.open`).
Objects are named by keys the caller makes, slash-separated like paths
(``{organisation}/{contact}/{media}``), so that erasing a contact's media is one
`MediaStore.delete_prefix`. Which type the bytes are, who may see them and
where they came from is the database's record, not the store's.

- `FileMediaStore` (``file_store.py``): files under a folder; the embedded
  default, one host or several sharing a network file system.
- `S3MediaStore` (``s3_store.py``): S3-compatible object storage that every API
  host and worker of a scale-out shares.
"""

from __future__ import annotations

import abc
import hashlib
import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from msgboxx.media.errors import MediaTooLarge

if TYPE_CHECKING:
    from msgboxx.settings import Settings

# The size of the chunks `MediaStore.open` yields: big enough that a 100 MB
# document is a few hundred reads, small enough to sit in memory many at once.
CHUNK_BYTES = 256 * 1024

# Path-like segments of letters, digits, '.', '_' and '-', none starting with a
# dot: no '..', no hidden names, nothing a file system or S3 would read twice.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
MAX_KEY_LENGTH = 512


def check_key(key: str) -> str:
    """The key itself when it is one the stores take; a ValueError names it otherwise.

    Keys come from our own code, never from a client, so a bad one is a bug.
    """
    if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise ValueError(f"not a media key: {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """What `MediaStore.put` wrote: counted and hashed on the way through."""

    key: str
    size: int
    sha256: str  # hex, as Meta's media endpoint gives it


class Meter:
    """Counts and hashes the bytes of one upload, refusing any past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()

    def add(self, chunk: bytes) -> None:
        """Take one chunk, or raise `MediaTooLarge` (413) as soon as the total is over."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise MediaTooLarge(
                f"the file is over the limit of {self.max_bytes} bytes",
                max_bytes=self.max_bytes,
            )
        self._hash.update(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class MediaStream:
    """An open stored object: its size at once, then its bytes in chunks.

    Opened eagerly, so that a missing object is a 404 before any answer starts;
    close it when done (``async with``), read to the end or not.
    """

    def __init__(
        self,
        *,
        size: int,
        chunks: AsyncIterator[bytes],
        close: Callable[[], Awaitable[None]],
    ) -> None:
        self.size = size
        self._chunks = chunks
        self._close = close
        self._closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks

    async def read(self) -> bytes:
        """Every remaining byte at once: for small objects and tests only."""
        return b"".join([chunk async for chunk in self._chunks])

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._close()

    async def __aenter__(self) -> MediaStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class MediaStore(abc.ABC):
    """Keeps media bytes under keys; every backend behaves the same to its callers."""

    @abc.abstractmethod
    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int,
    ) -> StoredMedia:
        """Store the chunks under ``key`` (replacing what was there), counting and hashing them.

        Raises `MediaTooLarge` as soon as more than ``max_bytes`` arrive, reading no
        further and storing nothing; any failure (or cancellation) leaves the key as
        it was. An object is visible whole or not at all. ``content_type`` is kept
        where the backend has a place for it (S3 serves it back); the database's
        record of the media is the one that counts.
        """

    @abc.abstractmethod
    async def open(self, key: str) -> MediaStream:
        """The object under ``key``, or `MediaNotFound`."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object under ``key``; one that is not there is already removed."""

    @abc.abstractmethod
    async def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix/`` (erasure); how many there were."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release connections; the store is not used afterwards."""


def open_media_store(settings: Settings) -> MediaStore:
    """The store ``MSGBOXX_MEDIA_URL`` names: a folder (the default) or an S3 bucket."""
    url = settings.media_url.strip()
    if not url:
        from msgboxx.media.file_store import FileMediaStore

        return FileMediaStore(settings.data_dir / "media")
    parts = urlsplit(url)
    if parts.scheme == "file":
        from msgboxx.media.file_store import FileMediaStore

        return FileMediaStore(Path(unquote(parts.path)))
    if parts.scheme == "s3" and parts.netloc:
        # Imported only here: botocore's service models cost a server that keeps
        # its media in a folder a noticeable start-up.
        from msgboxx.media.s3_store import S3MediaStore

        secret = settings.media_s3_secret_access_key
        return S3MediaStore(
            bucket=parts.netloc,
            prefix=unquote(parts.path).strip("/"),
            endpoint_url=settings.media_s3_endpoint_url,
            region=settings.media_s3_region,
            access_key_id=settings.media_s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )
    raise ValueError(f"MSGBOXX_MEDIA_URL must be file:///path or s3://bucket/prefix, not {url!r}")
