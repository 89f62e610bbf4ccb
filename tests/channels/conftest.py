"""A Cloud API double on a real port, and a msgboxx pointed at it by base URL."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from msgboxx.auth import service as auth
from msgboxx.channels.cloud_api.router import PATH
from msgboxx.channels.sandbox.graph import GraphConfig, GraphDouble, create_graph_app
from tests.support import PASSWORD, Server, fresh_number, login, own_settings, running

APP_SECRET = "test-app-secret"
ACCESS_TOKEN = "EAAG-test-token"


@dataclass
class Graph:
    """The double as a test sees it: its URL, its state and a client for its controls."""

    base_url: str
    double: GraphDouble
    control: httpx.AsyncClient


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def graph() -> AsyncIterator[Graph]:
    config = GraphConfig(
        app_secret=APP_SECRET,
        access_token=ACCESS_TOKEN,
        sent_delay=0.0,  # as fast as possible: reports race the dispatcher's commit
        delivered_delay=0.05,
        read_delay=0.1,
        template_delay=0.05,
    )
    app = create_graph_app(config)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as control:
        yield Graph(url, app.state.double, control)


@pytest.fixture(scope="session")
async def cloud_server(
    graph: Graph, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    """msgboxx configured for the Cloud API, talking to the double over HTTP."""
    settings = await own_settings(
        tmp_path_factory.mktemp("cloud"),
        database="msgboxx_test_cloud",
        channel="cloud_api",
        graph_base_url=graph.base_url,
        graph_api_version="v21.0",
        graph_timeout=2.0,
    )
    async with running(settings) as live:
        graph.double.config.webhook_url = live.base_url + PATH
        yield live


@dataclass
class CloudTenant:
    server: Server
    api: httpx.AsyncClient
    account_id: str
    phone_number: str
    phone_number_id: str
    waba_id: str
    verify_token: str

    async def customer_writes(self, graph: Graph, number: str, text: str = "Hi") -> str:
        """A customer message through the double's signed webhook; returns the contact id."""
        reply = await graph.control.post(
            "/control/inbound",
            json={"phoneNumberId": self.phone_number_id, "from": number, "text": text},
        )
        assert reply.status_code == 202 and reply.json()["webhookStatus"] == 200, reply.text
        found = await self.api.get("/contact", params={"mobileNumber": number})
        return str(found.json()["items"][0]["contactId"])


def digits(n: int) -> str:
    return "".join(random.choice("0123456789") for _ in range(n))


async def connect(
    server: Server,
    *,
    app_secret: str = APP_SECRET,
    phone_number_id: str | None = None,
    waba_id: str | None = None,
) -> CloudTenant:
    """A new organisation that connects its own Cloud API number with the secret it chose."""
    email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
    async with server.db.tx(write=True) as tx:
        organisation = await auth.create_organisation(tx, name="Cloud " + email)
        await auth.create_user(
            tx, org_id=organisation.id, email=email, password=PASSWORD, role="admin"
        )
        await tx.commit()
    api = server.client(await login(server, email))
    verify_token = uuid.uuid4().hex
    phone_number_id, waba_id = phone_number_id or digits(15), waba_id or digits(15)
    number = fresh_number()
    reply = await api.post(
        "/apiaccount",
        json={
            "phoneNumber": number,
            "name": "Cloud shop",
            "channel": "cloud_api",
            "phoneNumberId": phone_number_id,
            "wabaId": waba_id,
            "accessToken": ACCESS_TOKEN,
            "appSecret": app_secret,
            "webhookVerifyToken": verify_token,
        },
    )
    assert reply.status_code == 201, reply.text
    return CloudTenant(
        server=server,
        api=api,
        account_id=reply.json()["apiAccountId"],
        phone_number=number,
        phone_number_id=phone_number_id,
        waba_id=waba_id,
        verify_token=verify_token,
    )


@pytest.fixture
async def cloud(cloud_server: Server) -> AsyncIterator[CloudTenant]:
    tenant = await connect(cloud_server)
    try:
        yield tenant
    finally:
        await tenant.api.aclose()


@pytest.fixture
async def clean_faults(graph: Graph) -> AsyncIterator[None]:
    await graph.control.delete("/control/faults")
    yield
    await graph.control.delete("/control/faults")
