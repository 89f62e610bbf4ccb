"""POST /media and GET /media/{id} over real HTTP: by content, within limits, per organisation."""

from __future__ import annotations

import hashlib
import uuid

import httpx

from tests.media import samples
from tests.support import Tenant, assert_problem

MB = 1000 * 1000


async def upload(
    tenant: Tenant,
    content: bytes,
    *,
    name: str = "file.bin",
    type_: str | None = None,
    content_type: str = "application/octet-stream",
    account: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    data = {}
    if type_ is not None:
        data["type"] = type_
    if account is not None:
        data["apiAccountId"] = account
    return await tenant.api.post(
        "/media",
        data=data,
        files={"file": (name, content, content_type)},
        headers=headers or {},
    )


async def test_upload__jpeg_png_pdf_come_back_byte_for_byte(tenant: Tenant) -> None:
    for content, kind, mime, name in (
        (samples.jpeg(), "image", "image/jpeg", "photo.jpg"),
        (samples.png(), "image", "image/png", "chart.png"),
        (samples.pdf(), "document", "application/pdf", "Invoice 7.pdf"),
    ):
        reply = await upload(tenant, content, name=name, type_=kind)
        assert reply.status_code == 201, reply.text
        media = reply.json()
        assert media["type"] == kind and media["status"] == "stored"
        assert media["mimeType"] == mime and media["size"] == len(content)
        assert media["sha256"] == hashlib.sha256(content).hexdigest()
        assert media["filename"] == name
        assert media["url"] == f"/media/{media['mediaId']}"
        fetched = await tenant.api.get(media["url"])
        assert fetched.status_code == 200
        assert fetched.content == content
        assert fetched.headers["content-type"] == mime
        assert fetched.headers["content-length"] == str(len(content))
        assert f'filename="{name}"' in fetched.headers["content-disposition"]
        info = await tenant.api.get(media["url"] + "/info")
        assert info.json() == media


async def test_upload__kind_taken_from_content_when_not_given(tenant: Tenant) -> None:
    reply = await upload(tenant, samples.webp_lossy(), name="smile")
    assert reply.status_code == 201, reply.text
    assert reply.json()["type"] == "sticker"
    assert reply.json()["mimeType"] == "image/webp"


async def test_upload__type_after_the_file_is_checked_too(tenant: Tenant) -> None:
    """A form that names its type after the file is checked against the stored bytes."""
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    body += samples.png()
    body += (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\n'
        f"document\r\n--{boundary}--\r\n"
    ).encode()
    reply = await tenant.api.post(
        "/media",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_problem(reply, 415, slug="unsupported-media-type")


async def test_upload__a_png_named_pdf_declared_document_is_415(tenant: Tenant) -> None:
    reply = await upload(
        tenant, samples.png(), name="report.pdf", type_="document", content_type="application/pdf"
    )
    body = assert_problem(reply, 415, slug="unsupported-media-type")
    assert "image/png" in body["detail"]


async def test_upload__over_the_kind_limit_is_413(tenant: Tenant) -> None:
    sticker = samples.webp_lossy()
    too_big = sticker + b"\0" * (100_001 - len(sticker))
    body = assert_problem(await upload(tenant, too_big, type_="sticker"), 413)
    assert body["maxBytes"] == 100_000
    image = samples.jpeg()
    reply = await upload(tenant, image + b"\0" * (5 * MB + 1 - len(image)), type_="image")
    assert_problem(reply, 413, slug="media-too-large")


async def test_upload__bad_forms_are_problems(tenant: Tenant) -> None:
    assert_problem(await tenant.api.post("/media", data={"type": "image"}), 415)
    no_file = await tenant.api.post(
        "/media",
        content=b'--x\r\nContent-Disposition: form-data; name="type"\r\n\r\nimage\r\n--x--\r\n',
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert assert_problem(no_file, 422)["errors"][0]["field"] == "file"
    assert_problem(await tenant.api.post("/media", json={"file": "x"}), 415)
    reply = await upload(tenant, samples.jpeg(), type_="gif")
    assert assert_problem(reply, 422)["errors"][0]["field"] == "type"
    reply = await upload(tenant, samples.jpeg(), account="not-a-uuid")
    assert_problem(reply, 422)
    reply = await upload(tenant, b"")
    assert_problem(reply, 415)
    reply = await tenant.api.post(
        "/media",
        content=b"--x\r\nnonsense",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert reply.status_code in (400, 422), reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")


async def test_upload__needs_a_token(tenant: Tenant) -> None:
    async with httpx.AsyncClient(base_url=str(tenant.api.base_url)) as anonymous:
        reply = await anonymous.post("/media", files={"file": ("a.jpg", samples.jpeg())})
    assert_problem(reply, 401)


async def test_media__another_organisation_sees_none_of_it(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = (await upload(tenant, samples.jpeg(), type_="image")).json()
    assert_problem(await other_tenant.api.get(mine["url"]), 404)
    assert_problem(await other_tenant.api.get(mine["url"] + "/info"), 404)
    assert_problem(await tenant.api.get(f"/media/{uuid.uuid4()}"), 404)
    # Nor may one upload for another organisation's account.
    reply = await upload(other_tenant, samples.jpeg(), account=tenant.account_id)
    assert_problem(reply, 404)


async def test_upload__for_an_account(tenant: Tenant) -> None:
    reply = await upload(tenant, samples.jpeg(), account=tenant.account_id)
    assert reply.status_code == 201, reply.text


async def test_upload__idempotency_key_replays_the_first_answer(tenant: Tenant) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await upload(tenant, samples.jpeg(), headers=key)
    again = await upload(tenant, samples.jpeg(), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["mediaId"] == first.json()["mediaId"]
    assert again.headers.get("idempotent-replayed") == "true"
    other = await upload(tenant, samples.png(), headers=key)
    assert_problem(other, 422)
    fetched = await tenant.api.get(first.json()["url"])
    assert fetched.content == samples.jpeg()
