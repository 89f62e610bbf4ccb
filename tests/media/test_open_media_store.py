"""MSGBOXX_MEDIA_URL picks the store; a mistyped one fails at start-up, not at the first upload."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pydantic
import pytest

import msgboxx.media
from msgboxx.media import FileMediaStore, open_media_store
from msgboxx.media.s3_store import S3MediaStore
from msgboxx.settings import Settings
from tests.media import s3_server
from tests.media.conftest import new_bucket


def test_open_media_store__by_default__a_folder_in_the_data_folder(tmp_path: Path) -> None:
    store = open_media_store(Settings(data_dir=tmp_path))

    assert isinstance(store, FileMediaStore) and store.root == tmp_path / "media"


def test_open_media_store__file_url__that_folder(tmp_path: Path) -> None:
    store = open_media_store(
        Settings(data_dir=tmp_path, media_url=f"file://{tmp_path}/shared%20media")
    )

    assert isinstance(store, FileMediaStore) and store.root == tmp_path / "shared media"


def test_open_media_store__s3_url__the_bucket_and_prefix_with_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSGBOXX_MEDIA_URL", "s3://msgboxx-media/prod/eu")
    monkeypatch.setenv("MSGBOXX_MEDIA_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("MSGBOXX_MEDIA_S3_REGION", "eu-west-1")
    monkeypatch.setenv("MSGBOXX_MEDIA_S3_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("MSGBOXX_MEDIA_S3_SECRET_ACCESS_KEY", "very-secret")
    settings = Settings(data_dir=tmp_path)

    store = open_media_store(settings)

    assert isinstance(store, S3MediaStore)
    assert (store.bucket, store.prefix) == ("msgboxx-media", "prod/eu/")
    assert (store.endpoint_url, store.region) == ("http://127.0.0.1:9000", "eu-west-1")
    assert "very-secret" not in repr(settings)


def test_open_media_store__s3_url_without_a_prefix__the_bucket_root(tmp_path: Path) -> None:
    store = open_media_store(Settings(data_dir=tmp_path, media_url="s3://msgboxx-media"))

    assert isinstance(store, S3MediaStore) and store.prefix == ""


@pytest.mark.parametrize("url", ["ftp://host/media", "s3://", "s3:///prefix", "/var/media"])
def test_settings__a_media_url_that_names_no_store__fails_at_start(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(pydantic.ValidationError, match="media_url"):
        Settings(data_dir=tmp_path, media_url=url)


async def test_open_media_store__s3__puts_and_reads_through_a_real_server(
    tmp_path: Path, s3_endpoint: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        media_url=f"s3://{await new_bucket(s3_endpoint)}/media",
        media_s3_endpoint_url=s3_endpoint,
        media_s3_region=s3_server.REGION,
        media_s3_access_key_id=s3_server.ACCESS_KEY_ID,
        media_s3_secret_access_key=s3_server.SECRET_ACCESS_KEY,
    )
    store = open_media_store(settings)

    async def body() -> AsyncIterator[bytes]:
        yield b"%PDF-1.7 "
        yield b"hello"

    try:
        put = await store.put("org/c/m", body(), content_type="application/pdf", max_bytes=100)
        async with await store.open("org/c/m") as stream:
            assert await stream.read() == b"%PDF-1.7 hello"
    finally:
        await store.aclose()
    assert put.size == 14


def test_package__exports_its_public_names() -> None:
    """What the next layers (models, store, router, channels) build on."""
    assert set(msgboxx.media.__all__) == {
        "RULES",
        "SNIFF_BYTES",
        "CheckedMedia",
        "FileMediaStore",
        "MediaKind",
        "MediaNotFound",
        "MediaStore",
        "MediaStoreUnavailable",
        "MediaStream",
        "MediaTooLarge",
        "StoredMedia",
        "UnsupportedMediaType",
        "check_content",
        "check_key",
        "open_media_store",
    }
    assert all(hasattr(msgboxx.media, name) for name in msgboxx.media.__all__)


def test_package__a_folder_store_never_loads_botocore() -> None:
    code = (
        "import sys, msgboxx.media as m, msgboxx.settings as s;"
        "m.open_media_store(s.Settings(data_dir='.'));"
        "print('botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"
