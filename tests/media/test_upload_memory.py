"""A 100 MB document through a real ``msgboxx serve``: streamed in and out, never held whole.

The server's resident memory is read from /proc while the upload is under way
(in a chunked request, so no length is known in advance) and while the bytes
come back. The bound is stated here: RSS may grow by at most 40 MB over the
server's warmed-up size, well under the file's 100 MB.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from msgboxx import demo
from tests.media import samples
from tests.processes import serving_process

MB = 1000 * 1000
SIZE = 100 * MB - 1000  # just under WhatsApp's limit for a document
BOUND = 40 * 1024 * 1024
BOUNDARY = "memory-test-boundary"


def rss_of(pid: int) -> int:
    """Resident set size in bytes (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class PeakRss:
    """Samples a process's RSS every few milliseconds on a thread, keeping the highest."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_of(self.pid))
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def form(head: bytes, size: int, digest: hashlib._Hash) -> Iterator[bytes]:
    """A multipart form with one ``document`` file of ``size`` bytes, made as it is sent."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="type"\r\n\r\ndocument\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    digest.update(head)
    yield head
    left = size - len(head)
    block = b"%" * MB  # a PDF comment, as far as a reader of the head can tell
    while left > 0:
        chunk = block[: min(left, MB)]
        digest.update(chunk)
        yield chunk
        left -= len(chunk)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_upload__100_mb_document_streams_through_bounded_memory(tmp_path: Path) -> None:
    served = serving_process(tmp_path / "data", MSGBOXX_DATABASE_URL="")
    with served as (process, base), httpx.Client(base_url=base, timeout=120) as client:
        token = client.post(
            "/oauth/token", json={"username": demo.EMAIL, "password": demo.PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        # Warm up: the upload and download paths, once, small. One sample: a PDF made
        # again a second later carries another creation time.
        sample = samples.pdf()
        small = client.post("/media", files={"file": ("a.pdf", sample)})
        assert small.status_code == 201, small.text
        assert client.get(small.json()["url"]).content == sample
        baseline = rss_of(process.pid)

        digest = hashlib.sha256()
        with PeakRss(process.pid) as upload_peak:
            reply = client.post(
                "/media",
                content=form(samples.pdf(), SIZE, digest),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            )
        assert reply.status_code == 201, reply.text
        media = reply.json()
        assert media["size"] == SIZE and media["sha256"] == digest.hexdigest()

        back = hashlib.sha256()
        received = 0
        download_peak = PeakRss(process.pid)
        with download_peak, client.stream("GET", media["url"]) as download:
            assert download.headers["content-length"] == str(SIZE)
            for chunk in download.iter_bytes():
                back.update(chunk)
                received += len(chunk)
        assert received == SIZE and back.hexdigest() == digest.hexdigest()

    grown_in, grown_out = upload_peak.peak - baseline, download_peak.peak - baseline
    print(f"RSS over {baseline / 2**20:.0f} MiB: +{grown_in / 2**20:.1f} MiB uploading 100 MB,")
    print(f"+{grown_out / 2**20:.1f} MiB downloading it")
    assert grown_in < BOUND, f"RSS grew by {grown_in / 2**20:.1f} MiB during the upload"
    assert grown_out < BOUND, f"RSS grew by {grown_out / 2**20:.1f} MiB during the download"
