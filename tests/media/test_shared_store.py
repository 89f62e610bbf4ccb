"""Several API hosts and a worker share one S3 bucket: media one process stored, the others serve.

Real processes on a PostgreSQL database of their own: two ``msgboxx serve
--no-dispatch`` (hosts A and B) and one ``msgboxx worker``, all with
``MSGBOXX_MEDIA_URL=s3://bucket/prefix`` on the test's S3 server, talking to the
Graph API double (in this test's process) over HTTP. Each process has a data
folder of its own, so no bytes can pass from one to another through a local file:
what one stored, the others can only have read from the bucket.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from msgboxx import wiring
from msgboxx.auth import service as auth
from msgboxx.channels.cloud_api.router import PATH
from msgboxx.channels.sandbox.graph import GraphConfig, create_graph_app
from msgboxx.db import migrate
from msgboxx.media.s3_store import shared_session
from tests import postgres
from tests.channels.conftest import ACCESS_TOKEN, APP_SECRET, Graph, digits, serve
from tests.dispatch.fleet import Fleet
from tests.media import s3_server, samples
from tests.media.conftest import new_bucket
from tests.processes import serving
from tests.support import PASSWORD, fresh_number, wait_for_status

pytestmark = pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in os.environ,
    reason="runs its own PostgreSQL database; already run in the SQLite pass",
)

PREFIX = "shared"
# Every host signs and reads the same tokens: a deployment sets one key for all of them.
SIGNING_KEY = "shared-media-test-signing-key"


@dataclass
class Deployment:
    graph: Graph
    a: httpx.AsyncClient  # the admin, signed in, on API host A
    b: httpx.AsyncClient  # the same admin's token, on API host B
    stranger: httpx.AsyncClient  # another organisation's admin, on host A
    account_id: str
    phone_number_id: str
    s3_endpoint: str
    bucket: str

    async def customer_writes(self, number: str) -> str:
        """A customer opens the window (the webhook lands on host B); the contact's id."""
        reply = await self.graph.control.post(
            "/control/inbound",
            json={"phoneNumberId": self.phone_number_id, "from": number, "text": "Hi"},
        )
        assert reply.status_code == 202 and reply.json()["webhookStatus"] == 200, reply.text
        found = await self.a.get("/contact", params={"mobileNumber": number})
        return str(found.json()["items"][0]["contactId"])

    async def keys_in_bucket(self) -> list[str]:
        """Every object under the deployment's prefix, read from the S3 server itself."""
        async with shared_session().create_client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name=s3_server.REGION,
            aws_access_key_id=s3_server.ACCESS_KEY_ID,
            aws_secret_access_key=s3_server.SECRET_ACCESS_KEY,
        ) as client:
            listed = await client.list_objects_v2(Bucket=self.bucket, Prefix=PREFIX + "/")
        return [str(item.get("Key")) for item in listed.get("Contents", [])]


@asynccontextmanager
async def api_host(data_dir: Path, **env: str) -> AsyncIterator[str]:
    """``msgboxx serve --no-dispatch``, started and stopped off the loop the double runs on."""
    manager = serving(data_dir, "--no-dispatch", **env)
    base = await asyncio.to_thread(manager.__enter__)
    try:
        yield base
    finally:
        await asyncio.to_thread(manager.__exit__, None, None, None)


async def admin_of_new_organisation(url: str, workdir: Path) -> str:
    """An organisation with an admin, made in the shared database; the admin's email."""
    email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
    db = wiring.open_database(Fleet(url=url, workdir=workdir).settings())
    try:
        async with db.tx(write=True) as tx:
            organisation = await auth.create_organisation(tx, name="Shared " + email)
            await auth.create_user(
                tx, org_id=organisation.id, email=email, password=PASSWORD, role="admin"
            )
            await tx.commit()
    finally:
        await db.dispose()
    return email


async def signed_in(base: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        reply = await client.post("/oauth/token", json={"username": email, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


@pytest.fixture(scope="module")
async def deployment(
    postgres_server: str, s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    workdir = tmp_path_factory.mktemp("shared-media")
    url = await postgres.fresh_database("msgboxx_shared_media")
    await migrate.run(url)
    bucket = await new_bucket(s3_endpoint)
    app = create_graph_app(
        GraphConfig(
            app_secret=APP_SECRET,
            access_token=ACCESS_TOKEN,
            sent_delay=0.05,
            delivered_delay=0.1,
            read_delay=0.15,
        )
    )
    env = {
        "MSGBOXX_DATABASE_URL": url,
        "MSGBOXX_SECRET_KEY": SIGNING_KEY,
        "MSGBOXX_CHANNEL": "cloud_api",
        "MSGBOXX_MEDIA_URL": f"s3://{bucket}/{PREFIX}",
        "MSGBOXX_MEDIA_S3_ENDPOINT_URL": s3_endpoint,
        "MSGBOXX_MEDIA_S3_REGION": s3_server.REGION,
        "MSGBOXX_MEDIA_S3_ACCESS_KEY_ID": s3_server.ACCESS_KEY_ID,
        "MSGBOXX_MEDIA_S3_SECRET_ACCESS_KEY": s3_server.SECRET_ACCESS_KEY,
        "MSGBOXX_LOG_LEVEL": "WARNING",
    }
    async with AsyncExitStack() as stack:
        graph_url = await stack.enter_async_context(serve(app))
        control = await stack.enter_async_context(httpx.AsyncClient(base_url=graph_url))
        graph = Graph(graph_url, app.state.double, control)
        env.update(MSGBOXX_GRAPH_BASE_URL=graph_url, MSGBOXX_GRAPH_TIMEOUT="5")
        host_a = await stack.enter_async_context(api_host(workdir / "api-a", **env))
        host_b = await stack.enter_async_context(api_host(workdir / "api-b", **env))
        worker_dir = workdir / "worker"
        worker_dir.mkdir()
        crew = Fleet(url=url, workdir=worker_dir, env=env)
        stack.push_async_callback(asyncio.to_thread, crew.stop_all)
        crew.start_worker(MSGBOXX_MEDIA_FETCH_POLL_INTERVAL="0.1")
        graph.double.config.webhook_url = host_b + PATH  # Meta's webhooks reach host B

        admin = await signed_in(host_a, await admin_of_new_organisation(url, worker_dir))
        other = await signed_in(host_a, await admin_of_new_organisation(url, worker_dir))
        bearer = {"Authorization": f"Bearer {admin}"}
        a = await stack.enter_async_context(
            httpx.AsyncClient(base_url=host_a, headers=bearer, timeout=30)
        )
        b = await stack.enter_async_context(
            httpx.AsyncClient(base_url=host_b, headers=bearer, timeout=30)
        )
        stranger = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=host_a, headers={"Authorization": f"Bearer {other}"}, timeout=30
            )
        )
        phone_number_id = digits(15)
        reply = await a.post(
            "/apiaccount",
            json={
                "phoneNumber": fresh_number(),
                "name": "Shared shop",
                "channel": "cloud_api",
                "phoneNumberId": phone_number_id,
                "wabaId": digits(15),
                "accessToken": ACCESS_TOKEN,
                "appSecret": APP_SECRET,
                "webhookVerifyToken": uuid.uuid4().hex,
            },
        )
        assert reply.status_code == 201, reply.text
        yield Deployment(
            graph=graph,
            a=a,
            b=b,
            stranger=stranger,
            account_id=reply.json()["apiAccountId"],
            phone_number_id=phone_number_id,
            s3_endpoint=s3_endpoint,
            bucket=bucket,
        )


async def test_an_upload_to_host_a__sent_through_host_b__reaches_whatsapp_from_the_worker(
    deployment: Deployment,
) -> None:
    d = deployment
    customer = fresh_number()
    contact_id = await d.customer_writes(customer)
    data = samples.jpeg()

    uploaded = await d.a.post(
        "/media",
        data={"type": "image", "apiAccountId": d.account_id},
        files={"file": ("shelf.jpg", data, "image/jpeg")},
    )
    assert uploaded.status_code == 201, uploaded.text
    media_id = uploaded.json()["mediaId"]
    assert uploaded.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert [key for key in await d.keys_in_bucket() if key.endswith("/" + media_id)]

    reply = await d.b.post(
        "/message",
        json={
            "apiAccountId": d.account_id,
            "contactId": contact_id,
            "message": "Back in stock",
            "media": {"type": "image", "mediaId": media_id},
        },
    )
    assert reply.status_code == 201, reply.text
    read = await wait_for_status(d.b, f"/message/{reply.json()['messageId']}", "Read", timeout=60)
    assert read["media"]["mediaId"] == media_id

    [sent] = [s["body"] for s in d.graph.double.sent if s["body"]["to"] == customer]
    assert sent["type"] == "image" and sent["image"]["caption"] == "Back in stock"
    held = d.graph.double.uploads[sent["image"]["id"]]  # what WhatsApp received, hashed
    assert held.phone_number_id == d.phone_number_id
    assert (held.mime_type, held.size) == ("image/jpeg", len(data))
    assert held.sha256 == hashlib.sha256(data).hexdigest()


async def test_a_customers_image__fetched_by_the_worker__is_served_by_either_host(
    deployment: Deployment,
) -> None:
    d = deployment
    customer = fresh_number()
    data = samples.jpeg()
    put = await d.graph.control.post(
        "/control/media", content=data, headers={"content-type": "image/jpeg"}
    )
    assert put.status_code == 201, put.text
    whatsapp_id, whatsapp_sha256 = put.json()["id"], put.json()["sha256"]
    sent = await d.graph.control.post(
        "/control/inbound",
        json={
            "phoneNumberId": d.phone_number_id,
            "from": customer,
            "type": "image",
            "text": "the broken part",
            "media": {"id": whatsapp_id, "mimeType": "image/jpeg", "sha256": whatsapp_sha256},
        },
    )
    assert sent.status_code == 202 and sent.json()["webhookStatus"] == 200, sent.text

    message = await stored_message(d.b, customer)
    media = message["media"]
    assert message["type"] == "image" and message["content"] == {"caption": "the broken part"}
    assert (media["type"], media["mimeType"], media["size"]) == ("image", "image/jpeg", len(data))
    assert media["sha256"] == whatsapp_sha256 and media["url"] == f"/media/{media['mediaId']}"
    assert [key for key in await d.keys_in_bucket() if key.endswith("/" + media["mediaId"])]

    shelf = d.graph.double.media.items[whatsapp_id].data  # what WhatsApp held
    for host in (d.a, d.b):
        served = await host.get(media["url"])
        assert served.status_code == 200, served.text
        assert served.headers["content-type"] == "image/jpeg"
        assert served.content == shelf == data
        assert hashlib.sha256(served.content).hexdigest() == whatsapp_sha256
    hidden = await d.stranger.get(media["url"])
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")


async def stored_message(api: httpx.AsyncClient, customer: str) -> dict[str, Any]:
    """The customer's one message once its media is stored (the worker fetches it)."""
    contacts = (await api.get("/contact", params={"mobileNumber": customer})).json()["items"]
    assert len(contacts) == 1, contacts
    listed = await api.get(
        "/message", params={"contactId": contacts[0]["contactId"], "fromDate": "2020-01-01"}
    )
    [found] = listed.json()["items"]
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        reply = await api.get(f"/message/{found['messageId']}")
        assert reply.status_code == 200, reply.text
        shown: dict[str, Any] = reply.json()
        if shown["media"]["status"] == "stored":
            return shown
        assert shown["media"]["status"] == "pending", shown["media"]
        assert asyncio.get_running_loop().time() < deadline, f"never stored: {shown['media']}"
        await asyncio.sleep(0.1)
