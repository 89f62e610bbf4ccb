"""Media in S3-compatible object storage, shared by every host of a scale-out.

Through aiobotocore (botocore's signing and retries over aiohttp). An upload
that fits in one part is a single PutObject; a larger one is a multipart
upload sent a part at a time, so a 100 MB document never sits in memory whole
(S3's parts are 5 MiB at least, except the last). Either way the object
appears whole when the last request succeeds, and a failed or refused upload
is aborted: nothing half-written is ever visible under its key. Parts of an
upload whose process died mid-way stay invisible until a bucket lifecycle rule
(AbortIncompleteMultipartUpload) clears them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from typing import TYPE_CHECKING

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import BotoCoreError, ClientError

from msgboxx.media.errors import MediaNotFound, MediaStoreUnavailable
from msgboxx.media.storage import (
    CHUNK_BYTES,
    MediaStore,
    MediaStream,
    Meter,
    StoredMedia,
    check_key,
)

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

# The size of each part of a multipart upload: S3's smallest. An upload holds
# about three parts at its peak (the part being gathered, the one being sent and
# the socket's copy of it), some 16 MiB measured; a 100 MB file is 20 requests.
PART_BYTES = 5 * 1024 * 1024
_MISSING = frozenset({"NoSuchKey", "NotFound", "404"})


@functools.cache
def shared_session() -> AioSession:
    """One botocore session per process: it loads S3's service model once, not per client."""
    return get_session()


@contextlib.contextmanager
def _s3_errors(key: str) -> Iterator[None]:
    """S3's failures as the store's problems: a missing key is a 404, anything else a 503."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "")) or "error"
        if code in _MISSING:
            raise MediaNotFound(f"no media under {key}") from exc
        raise MediaStoreUnavailable(f"the media store failed (S3 {code})") from exc
    except (BotoCoreError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise MediaStoreUnavailable("the media store cannot be reached") from exc


class S3MediaStore(MediaStore):
    """Objects at ``s3://bucket/prefix/<key>``; one connection pool per store."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        part_bytes: int = PART_BYTES,
    ) -> None:
        if part_bytes < PART_BYTES:
            raise ValueError("S3 takes parts of 5 MiB at least")
        self.bucket = bucket
        self.prefix = check_key(prefix) + "/" if prefix else ""
        self.part_bytes = part_bytes
        self.endpoint_url = endpoint_url
        self.region = region
        self._credentials = (access_key_id, secret_access_key)
        # Servers other than AWS are addressed by path (http://host/bucket/key), which
        # all of them serve; and sent checksums only where the API requires one,
        # since S3-compatible servers differ in the ones botocore now adds by default.
        self._config = AioConfig(
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            retries={"mode": "standard", "max_attempts": 3},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: S3Client | None = None
        self._exit = contextlib.AsyncExitStack()
        self._lock = asyncio.Lock()

    async def _s3(self) -> S3Client:
        """The client, made at first use (its pool belongs to the running event loop)."""
        async with self._lock:
            if self._client is None:
                creator = shared_session().create_client(
                    "s3",
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    aws_access_key_id=self._credentials[0],
                    aws_secret_access_key=self._credentials[1],
                    config=self._config,
                )
                self._client = await self._exit.enter_async_context(creator)
            return self._client

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int,
    ) -> StoredMedia:
        name, s3 = self._name(key), await self._s3()
        meter = Meter(max_bytes)
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[CompletedPartTypeDef] = []

        async def send_part(data: bytes) -> None:
            nonlocal upload_id
            with _s3_errors(key):
                if upload_id is None:
                    created = await s3.create_multipart_upload(
                        Bucket=self.bucket, Key=name, ContentType=content_type
                    )
                    upload_id = created["UploadId"]
                number = len(parts) + 1
                sent = await s3.upload_part(
                    Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=data
                )
            parts.append({"ETag": sent["ETag"], "PartNumber": number})

        try:
            async for chunk in chunks:
                meter.add(chunk)
                buffer += chunk
                while len(buffer) >= self.part_bytes:
                    with memoryview(buffer) as view:  # one copy of the part, not two
                        part = bytes(view[: self.part_bytes])
                    del buffer[: self.part_bytes]
                    await send_part(part)
            with _s3_errors(key):
                if upload_id is None:
                    await s3.put_object(
                        Bucket=self.bucket, Key=name, Body=bytes(buffer), ContentType=content_type
                    )
                    return StoredMedia(key=key, size=meter.size, sha256=meter.sha256)
            if buffer:
                await send_part(bytes(buffer))
            with _s3_errors(key):
                await s3.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if upload_id is not None:
                # Best effort: a lifecycle rule clears what an abort that fails leaves.
                with contextlib.suppress(Exception):
                    await s3.abort_multipart_upload(
                        Bucket=self.bucket, Key=name, UploadId=upload_id
                    )
            raise
        return StoredMedia(key=key, size=meter.size, sha256=meter.sha256)

    async def open(self, key: str) -> MediaStream:
        name, s3 = self._name(key), await self._s3()
        with _s3_errors(key):
            answer = await s3.get_object(Bucket=self.bucket, Key=name)
        body = answer["Body"]

        async def chunks() -> AsyncIterator[bytes]:
            while True:
                with _s3_errors(key):
                    chunk = await body.read(CHUNK_BYTES)
                if not chunk:
                    return
                yield chunk

        async def close() -> None:
            body.close()

        return MediaStream(size=answer["ContentLength"], chunks=chunks(), close=close)

    async def delete(self, key: str) -> None:
        name, s3 = self._name(key), await self._s3()
        with _s3_errors(key):
            await s3.delete_object(Bucket=self.bucket, Key=name)

    async def delete_prefix(self, prefix: str) -> int:
        folder, s3 = self._name(prefix) + "/", await self._s3()
        deleted = 0
        with _s3_errors(prefix):
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=folder)
            async for page in pages:  # up to 1,000 keys a page, DeleteObjects' own limit
                names = [item["Key"] for item in page.get("Contents", []) if "Key" in item]
                if not names:
                    continue
                answer = await s3.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": n} for n in names], "Quiet": True},
                )
                if answer.get("Errors"):
                    failed = answer["Errors"][0]
                    raise MediaStoreUnavailable(
                        f"the media store kept {len(answer['Errors'])} objects"
                        f" (S3 {failed.get('Code', 'error')})"
                    )
                deleted += len(names)
        return deleted

    async def aclose(self) -> None:
        await self._exit.aclose()
        self._client = None
