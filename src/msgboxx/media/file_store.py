"""Media as files under one folder: the embedded default's store.

An upload is written to a file of its own under ``.partial/`` (a name no key
can take), flushed to disk, then renamed into place: a rename within one file
system is atomic, so a reader sees the whole file or none, and a crash
mid-upload leaves only a stray file in ``.partial/``. Disk work runs on
worker threads, a megabyte at a time, so the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO, ParamSpec, TypeVar

from msgboxx.media.errors import MediaNotFound, MediaStoreUnavailable
from msgboxx.media.storage import (
    CHUNK_BYTES,
    MediaStore,
    MediaStream,
    Meter,
    StoredMedia,
    check_key,
)

# Chunks are gathered up to this before each write: one thread hop per megabyte,
# not one per network read.
WRITE_BYTES = 1024 * 1024
PARTIAL = ".partial"

P = ParamSpec("P")
T = TypeVar("T")


class FileMediaStore(MediaStore):
    """Objects as files at ``root/<key>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int,
    ) -> StoredMedia:
        target = self._path(key)
        meter = Meter(max_bytes)
        partial = await _on_disk(_Partial.create, self.root / PARTIAL)
        try:
            buffer = bytearray()
            async for chunk in chunks:
                meter.add(chunk)
                buffer += chunk
                if len(buffer) >= WRITE_BYTES:
                    await _on_disk(partial.write, buffer)
                    buffer.clear()
            await _on_disk(partial.write, buffer)
            await _on_disk(partial.commit, target)
        except BaseException:
            # Too large, the source or the disk failed, or the task was cancelled:
            # no trace left. Discarded on this thread, which a cancelled task still has.
            partial.discard()
            raise
        return StoredMedia(key=key, size=meter.size, sha256=meter.sha256)

    async def open(self, key: str) -> MediaStream:
        path = self._path(key)
        opened = await _on_disk(_open_for_reading, path)
        if opened is None:
            raise MediaNotFound(f"no media under {key}")
        handle, size = opened

        async def chunks() -> AsyncIterator[bytes]:
            while chunk := await _on_disk(handle.read, CHUNK_BYTES):
                yield chunk

        async def close() -> None:
            await _on_disk(handle.close)

        return MediaStream(size=size, chunks=chunks(), close=close)

    async def delete(self, key: str) -> None:
        await _on_disk(_unlink, self._path(key))

    async def delete_prefix(self, prefix: str) -> int:
        return await _on_disk(_remove_tree, self._path(prefix))

    async def aclose(self) -> None:
        """Nothing to release: every file is closed when its call ends."""


async def _on_disk(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking file work on a thread; the disk's failures are the store's 503."""
    try:
        return await asyncio.to_thread(work, *args, **kwargs)
    except OSError as exc:
        raise MediaStoreUnavailable(f"the media folder failed: {exc.strerror}") from exc


class _Partial:
    """A file being uploaded, outside every key's reach until `commit`."""

    def __init__(self, handle: BinaryIO, path: Path) -> None:
        self.handle = handle
        self.path = path

    @classmethod
    def create(cls, folder: Path) -> _Partial:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=folder, prefix="upload-")
        return cls(os.fdopen(descriptor, "wb"), Path(name))

    def write(self, data: bytearray) -> None:
        self.handle.write(data)

    def commit(self, target: Path) -> None:
        """Flush to disk, then rename into place (and record the rename itself)."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)
        _sync_folder(target.parent)

    def discard(self) -> None:
        self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _open_for_reading(path: Path) -> tuple[BinaryIO, int] | None:
    try:
        handle = path.open("rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return handle, os.fstat(handle.fileno()).st_size


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _remove_tree(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    count = sum(len(files) for _, _, files in os.walk(folder))
    shutil.rmtree(folder)
    return count
