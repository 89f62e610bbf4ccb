"""A customer's media, end to end: the double holds the bytes, a signed webhook announces
them, the background fetch downloads them into the media store, checked by sha256, and
``GET /media/{id}`` serves them to the organisation (a 404 to any other).

The double and the server are this module's own: the fetch's retries are set fast
here, and the double's download faults must touch no other module's tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from msgboxx import wiring
from msgboxx.channels.cloud_api.router import PATH
from msgboxx.channels.sandbox.graph import GraphConfig, create_graph_app, payloads
from msgboxx.media.errors import MediaNotFound
from msgboxx.media.fetching import MediaFetcher
from msgboxx.media.models import Media
from msgboxx.media.storage import MediaStore
from msgboxx.messages.models import Message
from tests.channels.conftest import ACCESS_TOKEN, APP_SECRET, CloudTenant, Graph, connect, serve
from tests.media import samples
from tests.support import Server, fresh_number, own_settings, running

MAX_ATTEMPTS = 3


@pytest.fixture(scope="module")
async def graph() -> AsyncIterator[Graph]:
    app = create_graph_app(GraphConfig(app_secret=APP_SECRET, access_token=ACCESS_TOKEN))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as control:
        yield Graph(url, app.state.double, control)


@pytest.fixture(scope="module")
async def server(graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    settings = await own_settings(
        tmp_path_factory.mktemp("media-in"),
        database="msgboxx_test_media_in",
        channel="cloud_api",
        graph_base_url=graph.base_url,
        graph_api_version="v21.0",
        graph_timeout=2.0,
        media_fetch_poll_interval=0.05,
        media_fetch_backoff_base=0.05,
        media_fetch_backoff_max=0.1,
        media_fetch_max_attempts=MAX_ATTEMPTS,
    )
    async with running(settings) as live:
        graph.double.config.webhook_url = live.base_url + PATH
        yield live


@pytest.fixture
async def cloud(server: Server, graph: Graph) -> AsyncIterator[CloudTenant]:
    shelf = graph.double.media
    shelf.failing_downloads, shelf.url_seconds = 0, 300.0
    tenant = await connect(server)
    try:
        yield tenant
    finally:
        await tenant.api.aclose()


def media_store(server: Server) -> MediaStore:
    store: MediaStore = server.app.state.media_store
    return store


async def hold(graph: Graph, data: bytes, mime_type: str, **query: str) -> str:
    """Put bytes on the double's shelf, as WhatsApp holds what a customer sent."""
    reply = await graph.control.post(
        "/control/media", content=data, headers={"content-type": mime_type}, params=query
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


async def customer_sends(
    graph: Graph,
    cloud: CloudTenant,
    media_id: str,
    *,
    kind: str = "image",
    mime_type: str = "image/jpeg",
    caption: str | None = None,
    number: str | None = None,
    wamid: str | None = None,
) -> tuple[str, str]:
    """A signed ``messages`` webhook announcing the media, as Meta sends it; (wamid, from)."""
    number = number or fresh_number()
    wamid = wamid or f"wamid.media.{uuid.uuid4().hex}"
    body: dict[str, Any] = {"id": media_id, "mime_type": mime_type}
    if caption is not None:
        body["caption"] = caption
    message = {
        "from": number.lstrip("+"),
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": kind,
        kind: body,
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": payloads.metadata(cloud.phone_number_id, cloud.phone_number.lstrip("+")),
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": message["from"]}],
        "messages": [message],
    }
    status = await graph.double.deliver(payloads.envelope(cloud.waba_id, "messages", value))
    assert status == 200
    return wamid, number


async def media_of(server: Server, wamid: str) -> tuple[Message, Media | None]:
    async with server.db.tx(write=False) as tx:
        message = await tx.session.scalar(
            select(Message).where(Message.provider_message_id == wamid)
        )
        assert message is not None, "the message must be kept whatever becomes of its media"
        media = await tx.session.get(Media, message.media_id) if message.media_id else None
        return message, media


async def settled(server: Server, wamid: str, *, timeout: float = 10) -> Media:
    """The message's media once the fetch is done with it (stored or failed)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        _message, media = await media_of(server, wamid)
        assert media is not None
        if media.status != "pending":
            return media
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"media still pending after {timeout}s: {media.failure_reason}")
        await asyncio.sleep(0.03)


async def test_inbound_image__is_fetched_checked_and_stored_as_whatsapp_held_it(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    data = samples.jpeg()
    media_id = await hold(graph, data, "image/jpeg")
    wamid, _number = await customer_sends(graph, cloud, media_id, caption="my receipt")

    media = await settled(server, wamid)
    assert media.status == "stored", media.failure_reason
    assert (media.kind, media.mime_type, media.size) == ("image", "image/jpeg", len(data))
    assert media.sha256 == hashlib.sha256(data).hexdigest()
    assert media.store_key == f"{media.organisation_id}/{media.contact_id}/{media.id}"
    message, _ = await media_of(server, wamid)
    assert message.kind == "image"
    assert message.content == {"caption": "my receipt"}
    assert media.provider_media_id == media_id and media.attempts == 1

    # What a client reads: the message shows its media, whose url serves the bytes.
    shown = (await cloud.api.get(f"/message/{message.id}")).json()["media"]
    assert shown["status"] == "stored" and shown["url"] == f"/media/{media.id}"
    served = await cloud.api.get(shown["url"])
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == "image/jpeg"
    assert served.content == graph.double.media.items[media_id].data == data
    assert hashlib.sha256(served.content).hexdigest() == shown["sha256"] == media.sha256
    async with server.client() as anonymous:
        assert (await anonymous.get(shown["url"])).status_code == 401
    stranger = await connect(server)
    try:
        hidden = await stranger.api.get(shown["url"])
    finally:
        await stranger.api.aclose()
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")


async def test_inbound_image__a_repeated_webhook_records_and_fetches_it_once(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    media_id = await hold(graph, samples.png(), "image/png")
    wamid, number = await customer_sends(graph, cloud, media_id, mime_type="image/png")
    await customer_sends(graph, cloud, media_id, mime_type="image/png", number=number, wamid=wamid)
    media = await settled(server, wamid)
    assert media.status == "stored"
    async with server.db.tx(write=False) as tx:
        found = (
            await tx.session.scalars(select(Media).where(Media.provider_media_id == media_id))
        ).all()
    assert [m.id for m in found] == [media.id]


async def test_inbound_image__downloads_that_fail_are_retried_until_one_succeeds(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    data = samples.jpeg()
    media_id = await hold(graph, data, "image/jpeg")
    before = graph.double.media.downloads
    reply = await graph.control.post("/control/media/faults", json={"failDownloads": 2})
    assert reply.status_code == 204
    wamid, _ = await customer_sends(graph, cloud, media_id)

    media = await settled(server, wamid)
    assert media.status == "stored", media.failure_reason
    assert media.attempts == 3 and media.failure_reason is None
    assert graph.double.media.downloads == before + 1
    async with await media_store(server).open(str(media.store_key)) as stream:
        assert await stream.read() == data


async def test_inbound_image__gives_up_after_its_attempts_and_keeps_the_message(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    media_id = await hold(graph, samples.jpeg(), "image/jpeg")
    await graph.control.post("/control/media/faults", json={"failDownloads": 50, "status": 503})
    wamid, _ = await customer_sends(graph, cloud, media_id, caption="still here")

    media = await settled(server, wamid)
    assert media.status == "failed"
    assert media.attempts == MAX_ATTEMPTS
    assert media.failure_reason == "WhatsApp's media download answered HTTP 503"
    assert media.store_key is None and media.next_attempt_at is None
    message, _ = await media_of(server, wamid)
    assert message.text and message.content == {"caption": "still here"}


async def test_inbound_image__unknown_to_whatsapp_fails_at_once(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    media_id = await hold(graph, samples.jpeg(), "image/jpeg")
    assert (await graph.control.delete(f"/control/media/{media_id}")).status_code == 204
    wamid, _ = await customer_sends(graph, cloud, media_id)

    media = await settled(server, wamid)
    assert media.status == "failed" and media.attempts == 1
    assert str(media.failure_reason).startswith("100 ")


async def test_inbound_image__whose_bytes_are_not_the_promised_sha256_is_not_stored(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    wrong = hashlib.sha256(b"something else").hexdigest()
    media_id = await hold(graph, samples.jpeg(), "image/jpeg", sha256=wrong)
    wamid, _ = await customer_sends(graph, cloud, media_id)

    media = await settled(server, wamid)
    assert media.status == "failed" and media.attempts == MAX_ATTEMPTS
    assert "sha256" in str(media.failure_reason)
    key = f"{media.organisation_id}/{media.contact_id}/{media.id}"
    with pytest.raises(MediaNotFound):
        await media_store(server).open(key)


async def test_inbound_image__whose_content_is_no_image_fails_without_retrying(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    media_id = await hold(graph, samples.pdf(), "image/jpeg")
    wamid, _ = await customer_sends(graph, cloud, media_id)

    media = await settled(server, wamid)
    assert media.status == "failed" and media.attempts == 1
    assert "application/pdf" in str(media.failure_reason)


async def test_inbound_media__stored_or_failed_is_announced_as_message_media(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    # An unreachable receiver: the deliveries list shows each event as it was sent.
    reply = await cloud.api.post(
        "/webhook", json={"targetUrl": "http://127.0.0.1:9/hook", "events": ["message.media"]}
    )
    assert reply.status_code == 201, reply.text
    webhook_id = reply.json()["webhookId"]
    data = samples.jpeg()
    wamid, _ = await customer_sends(
        graph, cloud, await hold(graph, data, "image/jpeg"), caption="look"
    )
    media = await settled(server, wamid)

    deadline = asyncio.get_running_loop().time() + 10
    while True:
        found = (await cloud.api.get(f"/webhook/{webhook_id}/deliveries")).json()["items"]
        if found or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    [delivery] = found
    event = delivery["event"]
    assert event["type"] == "message.media"
    shown = event["data"]["media"]
    assert shown["mediaId"] == str(media.id) and shown["status"] == "stored"
    assert shown["sha256"] == hashlib.sha256(data).hexdigest() and shown["caption"] == "look"
    assert shown["url"] == f"/media/{media.id}"


async def test_erasing_a_contact__removes_its_media_records_and_bytes(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    number = fresh_number()
    wamids = []
    for _ in range(2):
        media_id = await hold(graph, samples.jpeg(), "image/jpeg")
        wamid, _ = await customer_sends(graph, cloud, media_id, number=number, caption="me")
        wamids.append(wamid)
    stored = [await settled(server, wamid) for wamid in wamids]
    assert all(media.status == "stored" for media in stored)
    contact_id = stored[0].contact_id

    reply = await cloud.api.delete(f"/contact/{contact_id}")
    assert reply.status_code == 204, reply.text

    for wamid, media in zip(wamids, stored, strict=True):
        message, left = await media_of(server, wamid)
        assert left is None and message.media_id is None and message.content is None
        with pytest.raises(MediaNotFound):
            await media_store(server).open(str(media.store_key))
    async with server.db.tx(write=False) as tx:
        rows = await tx.session.scalars(select(Media).where(Media.id.in_([m.id for m in stored])))
        assert rows.all() == []


async def test_inbound_media__several_fetchers_on_postgresql_fetch_each_piece_once(
    server: Server, graph: Graph, cloud: CloudTenant
) -> None:
    """Two more fetchers, each with its own connections, beside the server's own."""
    settings = server.app.state.settings
    if settings.is_sqlite:
        pytest.skip("fetchers of several processes share a PostgreSQL store (the PG pass)")
    fetchers = []
    for _ in range(2):
        db = wiring.open_database(settings)
        fetcher = MediaFetcher(
            db,
            settings,
            media_store=wiring.open_media_store(settings),
            sources=server.app.state.channels.media_source,
        )
        fetchers.append((db, fetcher, asyncio.create_task(fetcher.run())))
    try:
        before = graph.double.media.downloads
        held = [await hold(graph, samples.jpeg(), "image/jpeg") for _ in range(12)]
        wamids = [(await customer_sends(graph, cloud, media_id))[0] for media_id in held]
        found = [await settled(server, wamid) for wamid in wamids]
    finally:
        for db, fetcher, task in fetchers:
            fetcher.stop()
            await task
            await fetcher.store.aclose()
            await db.dispose()
    assert all(media.status == "stored" and media.attempts == 1 for media in found)
    assert graph.double.media.downloads == before + len(held)
