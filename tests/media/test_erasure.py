"""Erasing a contact's media bytes: now if the store answers, by retries if it does not."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from msgboxx.media.erasure import erase_prefix
from msgboxx.media.errors import MediaNotFound
from msgboxx.media.s3_store import shared_session
from tests.media import s3_server
from tests.media.conftest import new_bucket, s3_store


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_erase_prefix__deletes_every_object_of_the_contact_and_no_other(
    s3_endpoint: str,
) -> None:
    store = s3_store(s3_endpoint, await new_bucket(s3_endpoint))
    try:
        for key in ("org/ana/1", "org/ana/2", "org/bob/1"):
            await store.put(key, chunks(b"x"), content_type="image/png", max_bytes=10)
        assert await erase_prefix(store, "org/ana")
        for key in ("org/ana/1", "org/ana/2"):
            with pytest.raises(MediaNotFound):
                await store.open(key)
        async with await store.open("org/bob/1") as kept:
            assert await kept.read() == b"x"
    finally:
        await store.aclose()


async def test_erase_prefix__a_store_that_fails_is_tried_again_until_it_answers(
    s3_endpoint: str,
) -> None:
    bucket = f"media-later-{uuid.uuid4().hex[:8]}"
    store = s3_store(s3_endpoint, bucket)  # its bucket does not exist yet: every call fails
    try:
        # The first retry waits 1-2 s: time to make the bucket and put the object first.
        assert not await erase_prefix(store, "org/ana", attempts=5, base=2.0)
        async with shared_session().create_client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name=s3_server.REGION,
            aws_access_key_id=s3_server.ACCESS_KEY_ID,
            aws_secret_access_key=s3_server.SECRET_ACCESS_KEY,
        ) as client:
            await client.create_bucket(Bucket=bucket)
        await store.put("org/ana/1", chunks(b"x"), content_type="image/png", max_bytes=10)
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            try:
                async with await store.open("org/ana/1"):
                    pass
            except MediaNotFound:
                break  # a retry erased it
            assert asyncio.get_running_loop().time() < deadline, "never erased"
            await asyncio.sleep(0.05)
    finally:
        await store.aclose()
