"""A client generated from the live /openapi.json runs the README's walk-through, untouched.

The client is made by openapi-python-client, imported as generated and used
through its own functions and models only: if the document misleads a
generator (a body it cannot type, a name it cannot import, a date it keeps
as text), this is where it shows.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import uuid
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support import PASSWORD, Server, Tenant, fresh_number

PACKAGE = "msgboxx_client"


async def generate_client(document: bytes, where: Path) -> ModuleType:
    """Generate the client package from ``document`` into ``where`` and import it."""
    source = where / "openapi.json"
    source.write_bytes(document)
    generator = Path(sys.executable).with_name("openapi-python-client")
    env = {**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = await asyncio.create_subprocess_exec(
        str(generator),
        "generate",
        "--path",
        str(source),
        "--output-path",
        str(where / PACKAGE),
        "--meta",
        "none",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    text = output.decode()
    assert process.returncode == 0, text
    assert "Warning" not in text, text  # nothing of the document was skipped
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(where))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))


@pytest.fixture(scope="module")
async def client_package(server: Server, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The client generated from the session's server, once for this module."""
    async with server.client() as anonymous:
        document = (await anonymous.get("/openapi.json")).content
    return await generate_client(document, tmp_path_factory.mktemp("generated"))


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def poll(read: Any, wanted: Any, *, timeout: float = 20) -> Any:
    """Call ``read()`` until its ``status`` is ``wanted``; the last answer otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    seen = await read()
    while seen.status != wanted and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        seen = await read()
    return seen


async def test_generated_client__runs_the_readme_walk_through(
    tenant: Tenant, client_package: ModuleType
) -> None:
    models = module("models")
    issue_token = module("api.authentication.issue_token")
    list_api_accounts = module("api.api_accounts.list_api_accounts")
    list_contacts = module("api.contacts.list_contacts")
    send_message = module("api.messages.send_message")
    get_message = module("api.messages.get_message")
    inbound = module("api.sandbox.inbound")
    create_template = module("api.templates.create_template")
    get_template = module("api.templates.get_template")
    send_broadcast = module("api.broadcasts.send_broadcast")
    base = tenant.server.base_url

    # 1. a token
    async with client_package.Client(base_url=base) as anonymous_client:
        issued = await issue_token.asyncio_detailed(
            client=anonymous_client,
            body=models.TokenRequest(username=tenant.admin_email, password=PASSWORD),
        )
    assert issued.status_code == 200, issued.content
    assert isinstance(issued.parsed.expires_at, datetime)

    async with client_package.AuthenticatedClient(
        base_url=base, token=issued.parsed.access_token
    ) as api:
        # 2. the API accounts you can send from
        accounts = await list_api_accounts.asyncio(client=api)
        account = accounts.items[0]
        assert str(account.api_account_id) == tenant.account_id
        assert isinstance(account.datetime_, datetime)

        # More to try: a customer writes in through the sandbox (the contact is made)
        number = fresh_number()
        arrived = await inbound.asyncio_detailed(
            client=api,
            body=models.SandboxInbound.from_dict(
                {"from": number, "to": tenant.phone_number, "text": "Hello, is the shop open?"}
            ),
        )
        assert arrived.status_code == 202, arrived.content
        assert arrived.parsed.direction == models.Direction.INBOUND
        assert arrived.parsed.status == models.MessageStatus.RECEIVED

        # 3. the contact, found by number in another usual form
        contacts = await list_contacts.asyncio(
            client=api, api_account_id=account.api_account_id, mobile_number=number.lstrip("+")
        )
        assert contacts.paging.record_count == 1
        contact = contacts.items[0]
        assert contact.mobile_number == number
        assert contact.status == models.ContactStatus.SUBSCRIBED

        # 4. send a session message: 201, committed before the answer
        text = "Hi John, that sounds good progress, keep me informed please."
        sent = await send_message.asyncio_detailed(
            client=api,
            body=models.MessageCreate(
                api_account_id=account.api_account_id, contact_id=contact.contact_id, message=text
            ),
        )
        assert sent.status_code == 201, sent.content
        assert sent.parsed.direction == models.Direction.OUTBOUND

        # 5. watch it go to Read
        message_id = sent.parsed.message_id
        read = await poll(
            lambda: get_message.asyncio(message_id, client=api), models.MessageStatus.READ
        )
        assert read.status == models.MessageStatus.READ
        assert isinstance(read.read_at, datetime)

        # More to try: outside the window only an approved template may go, a broadcast
        created = await create_template.asyncio_detailed(
            client=api,
            body=models.TemplateCreate(
                api_account_id=account.api_account_id,
                name=f"welcome_{uuid.uuid4().hex[:8]}",
                template_text="Hi {{1}}, welcome to {{2}}.",
                template_example="Hi John, welcome to the msgboxx platform.",
            ),
        )
        assert created.status_code == 201, created.content
        template = await poll(
            lambda: get_template.asyncio(created.parsed.template_id, client=api),
            models.TemplateStatus.APPROVED,
        )
        assert template.status == models.TemplateStatus.APPROVED
        broadcast = await send_broadcast.asyncio_detailed(
            client=api,
            body=models.BroadcastCreate(
                api_account_id=account.api_account_id,
                contact_id=contact.contact_id,
                template_id=template.template_id,
                parameters=["John", "the msgboxx platform"],
            ),
        )
        assert broadcast.status_code == 201, broadcast.content
        assert broadcast.parsed.message == "Hi John, welcome to the msgboxx platform."

        # More to try: a retried POST with the same Idempotency-Key sends nothing twice
        order = models.MessageCreate(
            api_account_id=account.api_account_id,
            contact_id=contact.contact_id,
            message="Your order 42 is confirmed.",
        )
        key = f"order-42-confirmation-{uuid.uuid4().hex}"
        first = await send_message.asyncio_detailed(client=api, body=order, idempotency_key=key)
        again = await send_message.asyncio_detailed(client=api, body=order, idempotency_key=key)
        assert (first.status_code, again.status_code) == (201, 201), again.content
        assert again.parsed.message_id == first.parsed.message_id


@pytest.mark.parametrize("status", [401, 422])
async def test_generated_client__problems_are_typed(
    tenant: Tenant, client_package: ModuleType, status: int
) -> None:
    """A refused request parses as the document's Problem, not as an unknown body."""
    models = module("models")
    send_message = module("api.messages.send_message")
    token = tenant.token if status == 422 else "not-a-token"
    async with client_package.AuthenticatedClient(
        base_url=tenant.server.base_url, token=token
    ) as api:
        refused = await send_message.asyncio_detailed(
            client=api,
            body=models.MessageCreate(
                api_account_id=uuid.UUID(tenant.account_id),
                contact_id=uuid.UUID(await tenant.contact(inbound=False)),
                message="Hello",
            ),
        )
    assert refused.status_code == status
    assert isinstance(refused.parsed, models.Problem)
    assert refused.parsed.status == status
    if status == 422:  # the contact never wrote in: the 24-hour window is closed
        assert refused.parsed.type_.endswith("session-window-closed")
