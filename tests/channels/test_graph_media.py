"""The Graph double's media: Meta's GET /{media-id}, its short-lived URLs, and their faults."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest

from msgboxx.channels.sandbox.graph import GraphConfig, create_graph_app

TOKEN = "EAAG-media-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def graph() -> AsyncIterator[httpx.AsyncClient]:
    app = create_graph_app(GraphConfig(access_token=TOKEN))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://graph.test") as client:
        yield client


async def hold(graph: httpx.AsyncClient, data: bytes, mime_type: str) -> str:
    reply = await graph.post("/control/media", content=data, headers={"content-type": mime_type})
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


async def test_retrieve__answers_metas_shape_with_a_url_that_serves_the_bytes(
    graph: httpx.AsyncClient,
) -> None:
    data = b"%PDF-1.4 a receipt"
    held = await graph.post(
        "/control/media",
        files={"file": ("receipt.pdf", data, "application/pdf")},
        data={"type": "application/pdf"},
    )
    assert held.status_code == 201, held.text
    media_id = held.json()["id"]

    reply = await graph.get(f"/v21.0/{media_id}", headers=BEARER)
    assert reply.status_code == 200
    body = reply.json()
    assert body["messaging_product"] == "whatsapp" and body["id"] == media_id
    assert body["mime_type"] == "application/pdf" and body["file_size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    download = await graph.get(body["url"], headers=BEARER)
    assert download.status_code == 200 and download.content == data


async def test_retrieve__wants_the_token_for_the_metadata_and_the_download(
    graph: httpx.AsyncClient,
) -> None:
    media_id = await hold(graph, b"\x89PNG", "image/png")
    refused = await graph.get(f"/v21.0/{media_id}")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == 190
    url = (await graph.get(f"/v21.0/{media_id}", headers=BEARER)).json()["url"]
    assert (await graph.get(url)).status_code == 401
    tampered = url.replace("mid=", "mid=1")
    assert (await graph.get(tampered, headers=BEARER)).status_code == 404


async def test_retrieve__an_unknown_id_is_metas_error_100(graph: httpx.AsyncClient) -> None:
    media_id = await hold(graph, b"x", "text/plain")
    assert (await graph.delete(f"/control/media/{media_id}")).status_code == 204
    reply = await graph.get(f"/v21.0/{media_id}", headers=BEARER)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == 100


async def test_download__fails_as_asked_and_expires_like_a_lookaside_url(
    graph: httpx.AsyncClient,
) -> None:
    media_id = await hold(graph, b"x", "text/plain")
    faults = await graph.post("/control/media/faults", json={"failDownloads": 1, "status": 502})
    assert faults.status_code == 204
    url = (await graph.get(f"/v21.0/{media_id}", headers=BEARER)).json()["url"]
    assert (await graph.get(url, headers=BEARER)).status_code == 502
    assert (await graph.get(url, headers=BEARER)).status_code == 200

    await graph.post("/control/media/faults", json={"urlSeconds": 0})
    url = (await graph.get(f"/v21.0/{media_id}", headers=BEARER)).json()["url"]
    await asyncio.sleep(1.1)
    assert (await graph.get(url, headers=BEARER)).status_code == 404
