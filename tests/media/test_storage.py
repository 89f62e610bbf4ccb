"""Both media stores behave alike: what goes in comes out, counted and hashed; nothing half-put."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

import pytest

from msgboxx.media.errors import MediaNotFound, MediaTooLarge
from msgboxx.media.file_store import FileMediaStore
from msgboxx.media.s3_store import S3MediaStore, shared_session
from msgboxx.media.storage import MediaStore, check_key
from tests.media import s3_server
from tests.media.conftest import TEST_PART_BYTES

MiB = 1024 * 1024


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for at in range(0, len(data), size):
        yield data[at : at + size]


class Source:
    """Chunks of fresh random bytes, counting how many the store pulled."""

    def __init__(self, *, chunks: int, chunk_bytes: int, fail_at: int | None = None) -> None:
        self.total, self.chunk_bytes, self.fail_at = chunks, chunk_bytes, fail_at
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for n in range(self.total):
            if n == self.fail_at:
                raise ConnectionResetError("the client went away")
            self.pulled += 1
            yield os.urandom(self.chunk_bytes)


async def leftovers(store: MediaStore) -> list[str]:
    """Everything the backend holds, finished or not: files, objects, open multipart uploads."""
    if isinstance(store, FileMediaStore):
        return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file())
    assert isinstance(store, S3MediaStore)
    async with shared_session().create_client(
        "s3",
        endpoint_url=store.endpoint_url,
        region_name=s3_server.REGION,
        aws_access_key_id=s3_server.ACCESS_KEY_ID,
        aws_secret_access_key=s3_server.SECRET_ACCESS_KEY,
    ) as client:
        objects = await client.list_objects_v2(Bucket=store.bucket)
        uploads = await client.list_multipart_uploads(Bucket=store.bucket)
    return sorted(
        [o["Key"] for o in objects.get("Contents", [])]
        + [f"upload:{u['Key']}" for u in uploads.get("Uploads", [])]
    )


async def stored(store: MediaStore, key: str) -> bytes:
    async with await store.open(key) as stream:
        data = await stream.read()
        assert stream.size == len(data)
        return data


@pytest.mark.parametrize(
    ("size", "chunk"),
    [(0, 1), (1, 1), (300_000, 7_001), (12 * MiB + 17, MiB)],
    ids=["empty", "one byte", "odd chunks", "multipart with a short last part"],
)
async def test_put__then_open__streams_back_the_same_bytes(
    store: MediaStore, size: int, chunk: int
) -> None:
    data = os.urandom(size)

    put = await store.put(
        "org/contact/m1", chunks_of(data, chunk), content_type="image/png", max_bytes=size
    )

    assert (put.key, put.size, put.sha256) == (
        "org/contact/m1",
        size,
        hashlib.sha256(data).hexdigest(),
    )
    async with await store.open("org/contact/m1") as stream:
        assert stream.size == size
        pieces = [piece async for piece in stream]
    assert b"".join(pieces) == data
    assert all(pieces)  # no empty chunks


async def test_put__replaces_what_was_under_the_key(store: MediaStore) -> None:
    await store.put("k", chunks_of(b"first", 2), content_type="text/plain", max_bytes=10)

    await store.put("k", chunks_of(b"second", 2), content_type="text/plain", max_bytes=10)

    assert await stored(store, "k") == b"second"


@pytest.mark.parametrize(
    ("chunks", "max_bytes", "pulled"),
    [(4, 3 * MiB + 1, 4), (8, TEST_PART_BYTES + MiB, 7)],
    ids=["within the first part", "after a part was sent"],
)
async def test_put__over_the_limit__stops_reading_and_stores_nothing(
    store: MediaStore, chunks: int, max_bytes: int, pulled: int
) -> None:
    await store.put("org/kept", chunks_of(b"kept", 2), content_type="text/plain", max_bytes=4)
    source = Source(chunks=chunks, chunk_bytes=MiB)

    with pytest.raises(MediaTooLarge) as caught:
        await store.put("org/big", source, content_type="video/mp4", max_bytes=max_bytes)

    assert source.pulled == pulled  # not one chunk more than it took to know
    assert caught.value.status == 413 and caught.value.extra == {"maxBytes": max_bytes}
    with pytest.raises(MediaNotFound):
        await store.open("org/big")
    assert await leftovers(store) == [_where(store, "org/kept")]


async def test_put__a_failing_source__leaves_the_key_as_it_was(store: MediaStore) -> None:
    await store.put("org/m", chunks_of(b"before", 3), content_type="text/plain", max_bytes=10)
    source = Source(chunks=8, chunk_bytes=MiB, fail_at=6)  # a part is out by then on S3

    with pytest.raises(ConnectionResetError):
        await store.put("org/m", source, content_type="video/mp4", max_bytes=16 * MiB)

    assert await stored(store, "org/m") == b"before"
    assert await leftovers(store) == [_where(store, "org/m")]


async def test_open__a_missing_key__is_404(store: MediaStore) -> None:
    with pytest.raises(MediaNotFound) as caught:
        await store.open("org/nothing-here")

    assert caught.value.status == 404


async def test_open__closed_before_the_end__releases_the_object(store: MediaStore) -> None:
    data = os.urandom(3 * MiB)
    await store.put("org/m", chunks_of(data, MiB), content_type="video/mp4", max_bytes=len(data))

    async with await store.open("org/m") as stream:
        first = await anext(aiter(stream))

    assert data.startswith(first)
    assert await stored(store, "org/m") == data  # and it opens again


async def test_delete__removes_the_object__and_again_is_no_error(store: MediaStore) -> None:
    await store.put("org/m", chunks_of(b"x", 1), content_type="text/plain", max_bytes=1)

    await store.delete("org/m")
    await store.delete("org/m")

    with pytest.raises(MediaNotFound):
        await store.open("org/m")


async def test_delete_prefix__removes_that_folder_only(store: MediaStore) -> None:
    keys = ["o1/c1/a", "o1/c1/b/c", "o1/c10/x", "o1/c1x", "o2/c1/a"]
    for key in keys:
        await store.put(key, chunks_of(key.encode(), 4), content_type="text/plain", max_bytes=99)

    assert await store.delete_prefix("o1/c1") == 2
    assert await store.delete_prefix("o1/c1") == 0

    assert await leftovers(store) == sorted(
        _where(store, k) for k in ["o1/c10/x", "o1/c1x", "o2/c1/a"]
    )
    assert await stored(store, "o1/c10/x") == b"o1/c10/x"


@pytest.mark.parametrize(
    "key", ["", "/abs", "a//b", "../up", "a/../b", ".hidden", "a/.b", "a b", "a/"]
)
async def test_keys__refuse_what_could_leave_the_store(store: MediaStore, key: str) -> None:
    with pytest.raises(ValueError, match="not a media key"):
        await store.put(key, chunks_of(b"x", 1), content_type="text/plain", max_bytes=1)
    with pytest.raises(ValueError, match="not a media key"):
        await store.delete_prefix(key)


def test_keys__take_the_layout_callers_use() -> None:
    assert check_key("0b7f3c1e/4a2d-99/media_01.webp") == "0b7f3c1e/4a2d-99/media_01.webp"


def _where(store: MediaStore, key: str) -> str:
    """Where a key lands in the backend: under the S3 store's prefix, or as a path."""
    return store.prefix + key if isinstance(store, S3MediaStore) else key
