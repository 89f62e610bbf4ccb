"""A 100 MB document streams through either store: the process never holds it whole."""

from __future__ import annotations

import gc
import hashlib
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from msgboxx.media.storage import MediaStore

MiB = 1024 * 1024
TOTAL = 100 * MiB
CHUNK = MiB
# What the test allows the process to grow by while 100 MB pass through, once the
# store is warm. The S3 store holds about three 5 MiB parts at its peak (gathering
# one, sending one, the socket's copy); the file store one 1 MiB write buffer.
RSS_BOUND = 40 * MiB
STATM = Path("/proc/self/statm")


class PeakRss(threading.Thread):
    """Samples this process's resident memory every 2 ms; the highest it saw."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = self.baseline = _rss()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.002):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> PeakRss:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self.join()
        self.peak = max(self.peak, _rss())

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


def _rss() -> int:
    return int(STATM.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def generated(expected: hashlib._Hash) -> AsyncIterator[bytes]:
    """100 MB made a megabyte at a time, as an upload or a download arrives."""
    for _ in range(TOTAL // CHUNK):
        chunk = os.urandom(CHUNK)
        expected.update(chunk)
        yield chunk


@pytest.mark.skipif(not STATM.exists(), reason="reads resident memory from /proc")
async def test_put_and_open__100_mb__stay_within_the_rss_bound(store: MediaStore) -> None:
    async def small() -> AsyncIterator[bytes]:
        yield b"warm"

    # Warm the store first: its client, connection pool and first thread are a fixed
    # cost of the process, not of an upload.
    await store.put("warm/up", small(), content_type="text/plain", max_bytes=4)
    async with await store.open("warm/up") as stream:
        await stream.read()
    gc.collect()
    expected = hashlib.sha256()

    started = time.monotonic()
    with PeakRss() as putting:
        put = await store.put(
            "org/contact/big.pdf",
            generated(expected),
            content_type="application/pdf",
            max_bytes=TOTAL,
        )
    put_seconds = time.monotonic() - started
    gc.collect()
    read_back = hashlib.sha256()
    with PeakRss() as reading:
        async with await store.open("org/contact/big.pdf") as stream:
            size = stream.size
            async for chunk in stream:
                read_back.update(chunk)

    print(
        f"\n{type(store).__name__}: put 100 MiB in {put_seconds:.1f} s,"
        f" peak RSS growth {putting.growth / MiB:.1f} MiB putting,"
        f" {reading.growth / MiB:.1f} MiB reading (bound {RSS_BOUND // MiB} MiB)"
    )
    assert (put.size, put.sha256) == (TOTAL, expected.hexdigest())
    assert (size, read_back.hexdigest()) == (TOTAL, expected.hexdigest())
    assert putting.growth < RSS_BOUND, f"putting grew RSS by {putting.growth / MiB:.1f} MiB"
    assert reading.growth < RSS_BOUND, f"reading grew RSS by {reading.growth / MiB:.1f} MiB"
