"""POST /message with media: by an uploaded mediaId or a url we fetch, shown on every view."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tests.channels.conftest import serve
from tests.media import samples
from tests.support import (
    Tenant,
    assert_problem,
    fresh_number,
    new_tenant,
    running,
    test_settings,
    wait_for_status,
)


async def upload(tenant: Tenant, content: bytes, kind: str, name: str = "f") -> dict[str, str]:
    reply = await tenant.api.post(
        "/media", data={"type": kind}, files={"file": (name, content, "application/octet-stream")}
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def send(tenant: Tenant, contact_id: str, media: dict[str, object], **extra: object) -> object:
    body = {"apiAccountId": tenant.account_id, "contactId": contact_id, "media": media, **extra}
    return tenant.api.post("/message", json=body)


async def test_send_media__by_id_is_accepted_shown_and_reaches_read(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    photo = await upload(tenant, samples.jpeg(), "image", "beach.jpg")
    reply = await send(
        tenant, contact_id, {"type": "image", "mediaId": photo["mediaId"], "caption": "The view"}
    )
    assert reply.status_code == 201, reply.text  # type: ignore[attr-defined]
    sent = reply.json()  # type: ignore[attr-defined]
    assert sent["type"] == "image"
    assert sent["message"] == "The view"
    assert sent["media"]["mediaId"] == photo["mediaId"]
    assert sent["media"]["caption"] == "The view"
    assert sent["media"]["url"] == f"/media/{photo['mediaId']}"
    assert sent["media"]["mimeType"] == "image/jpeg"
    read = await wait_for_status(tenant.api, f"/message/{sent['messageId']}", "Read")
    assert read["media"] == sent["media"]
    listed = await tenant.api.get("/message", params={"contactId": contact_id})
    shown = {item["messageId"]: item for item in listed.json()["items"]}
    assert shown[sent["messageId"]]["media"]["mediaId"] == photo["mediaId"]
    assert "media" not in next(
        i for i in listed.json()["items"] if i["messageId"] != sent["messageId"]
    )


async def test_send_media__message_is_the_caption_and_a_document_keeps_its_filename(
    tenant: Tenant,
) -> None:
    contact_id = await tenant.contact()
    pdf = await upload(tenant, samples.pdf(), "document", "scan.pdf")
    reply = await send(
        tenant,
        contact_id,
        {"type": "document", "mediaId": pdf["mediaId"], "filename": "Invoice 42.pdf"},
        message="Your invoice",
    )
    assert reply.status_code == 201, reply.text  # type: ignore[attr-defined]
    media = reply.json()["media"]  # type: ignore[attr-defined]
    assert media["caption"] == "Your invoice" and media["filename"] == "Invoice 42.pdf"


async def test_send_media__text_only_clients_still_need_message(tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    reply = await tenant.api.post(
        "/message", json={"apiAccountId": tenant.account_id, "contactId": contact_id}
    )
    assert assert_problem(reply, 422)["errors"][0]["field"] == "message"  # type: ignore[arg-type]


async def test_send_media__refusals(tenant: Tenant, other_tenant: Tenant) -> None:
    contact_id = await tenant.contact()
    photo = await upload(tenant, samples.jpeg(), "image")
    theirs = await upload(other_tenant, samples.jpeg(), "image")
    cases: list[tuple[dict[str, object], dict[str, object], int]] = [
        ({"type": "image", "mediaId": theirs["mediaId"]}, {}, 404),
        ({"type": "image", "mediaId": str(uuid.uuid4())}, {}, 404),
        ({"type": "document", "mediaId": photo["mediaId"]}, {}, 422),
        ({"type": "sticker", "mediaId": photo["mediaId"], "caption": "x"}, {}, 422),
        ({"type": "audio", "mediaId": photo["mediaId"]}, {"message": "hi"}, 422),
        ({"type": "image", "mediaId": photo["mediaId"], "caption": "a"}, {"message": "b"}, 422),
        ({"type": "image", "mediaId": photo["mediaId"], "caption": "x" * 1025}, {}, 422),
        ({"type": "image", "mediaId": photo["mediaId"]}, {"message": "x" * 1025}, 422),
        ({"type": "image"}, {}, 422),
        ({"type": "image", "mediaId": photo["mediaId"], "url": "http://x.test/a"}, {}, 422),
        ({"type": "gif", "mediaId": photo["mediaId"]}, {}, 422),
        ({"type": "image", "mediaId": photo["mediaId"], "filename": "a.jpg"}, {}, 422),
    ]
    for media, extra, status in cases:
        reply = await send(tenant, contact_id, media, **extra)
        assert_problem(reply, status)  # type: ignore[arg-type]


async def test_send_media__window_rule_holds(tenant: Tenant) -> None:
    contact_id = await tenant.contact(inbound=False)
    photo = await upload(tenant, samples.jpeg(), "image")
    reply = await send(tenant, contact_id, {"type": "image", "mediaId": photo["mediaId"]})
    assert_problem(reply, 422, slug="session-window-closed")  # type: ignore[arg-type]


# Media at a URL: a server of the test's own on loopback. -----------------------

PHOTO = samples.jpeg()


async def _photo(_request: Request) -> Response:
    return Response(PHOTO, media_type="image/jpeg")


async def _huge(_request: Request) -> Response:
    return Response(PHOTO + b"\0" * 5_000_001, media_type="image/jpeg")


async def _moved(_request: Request) -> Response:
    return RedirectResponse("/photo.jpg")


@pytest.fixture(scope="module")
async def files() -> AsyncIterator[str]:
    app = Starlette(
        routes=[
            Route("/photo.jpg", _photo),
            Route("/huge.jpg", _huge),
            Route("/moved", _moved),
        ]
    )
    async with serve(app) as url:  # type: ignore[arg-type]
        yield url


async def test_send_media__url_is_fetched_stored_and_served(tenant: Tenant, files: str) -> None:
    contact_id = await tenant.contact()
    for path in ("/photo.jpg", "/moved"):
        reply = await send(tenant, contact_id, {"type": "image", "url": files + path})
        assert reply.status_code == 201, reply.text  # type: ignore[attr-defined]
        media = reply.json()["media"]  # type: ignore[attr-defined]
        assert media["sha256"] == hashlib.sha256(PHOTO).hexdigest()
        fetched = await tenant.api.get(media["url"])
        assert fetched.content == PHOTO
        await wait_for_status(tenant.api, f"/message/{reply.json()['messageId']}", "Read")  # type: ignore[attr-defined]


async def test_send_media__url_content_is_checked(tenant: Tenant, files: str) -> None:
    contact_id = await tenant.contact()
    reply = await send(tenant, contact_id, {"type": "image", "url": files + "/huge.jpg"})
    assert_problem(reply, 413)  # type: ignore[arg-type]
    reply = await send(tenant, contact_id, {"type": "document", "url": files + "/photo.jpg"})
    assert_problem(reply, 415)  # type: ignore[arg-type]
    reply = await send(tenant, contact_id, {"type": "image", "url": files + "/missing"})
    body = assert_problem(reply, 422)  # type: ignore[arg-type]
    assert body["errors"][0]["field"] == "media.url"
    reply = await send(tenant, contact_id, {"type": "image", "url": "ftp://example.com/a.jpg"})
    assert_problem(reply, 422)  # type: ignore[arg-type]


async def test_send_media__private_url_refused_unless_allowed(tmp_path: Path, files: str) -> None:
    """Without the allowance, loopback, private and metadata addresses are never fetched."""
    settings = test_settings(tmp_path / "strict", media_fetch_allow_private=False, dispatch=False)
    async with running(settings) as strict:
        tenant = await new_tenant(strict)
        try:
            contact_id = await tenant.contact(number=fresh_number())
            for url in (
                files + "/photo.jpg",
                "http://10.1.2.3/a.jpg",
                "http://169.254.169.254/latest/meta-data",
                "http://[::ffff:127.0.0.1]/a.jpg",
            ):
                reply = await send(tenant, contact_id, {"type": "image", "url": url})
                body = assert_problem(reply, 422)  # type: ignore[arg-type]
                assert body["errors"][0]["field"] == "media.url", body
                assert "public" in body["detail"]
        finally:
            await tenant.api.aclose()
