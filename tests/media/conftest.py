"""Both media stores, each test on an empty one: files in a folder, and a real S3 server."""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from msgboxx.media.file_store import FileMediaStore
from msgboxx.media.s3_store import PART_BYTES, S3MediaStore, shared_session
from msgboxx.media.storage import MediaStore
from tests.media import s3_server

# The default, S3's smallest, named here so tests can cross a part's end.
TEST_PART_BYTES = PART_BYTES
_buckets = itertools.count()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("moto.server") is None:
        s3_server.unavailable("moto[server] is not installed (pip install -e '.[dev]')")
    with s3_server.running(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


async def new_bucket(endpoint: str) -> str:
    """A bucket of its own for one test, made with a real client."""
    name = f"media-test-{next(_buckets)}"
    async with shared_session().create_client(
        "s3",
        endpoint_url=endpoint,
        region_name=s3_server.REGION,
        aws_access_key_id=s3_server.ACCESS_KEY_ID,
        aws_secret_access_key=s3_server.SECRET_ACCESS_KEY,
    ) as client:
        await client.create_bucket(Bucket=name)
    return name


def s3_store(endpoint: str, bucket: str, *, prefix: str = "tenants") -> S3MediaStore:
    return S3MediaStore(
        bucket=bucket,
        prefix=prefix,
        endpoint_url=endpoint,
        region=s3_server.REGION,
        access_key_id=s3_server.ACCESS_KEY_ID,
        secret_access_key=s3_server.SECRET_ACCESS_KEY,
        part_bytes=TEST_PART_BYTES,
    )


@pytest.fixture(params=["file", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MediaStore]:
    """Each backend in turn, empty: the same tests hold for both."""
    made: MediaStore
    if request.param == "file":
        made = FileMediaStore(tmp_path / "media")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        made = s3_store(endpoint, await new_bucket(endpoint))
    try:
        yield made
    finally:
        await made.aclose()
