"""``msgboxx webhook listen``: see your events arrive, verified, while you develop.

It signs in, serves a receiver on a local port, subscribes it to the chosen
events, prints each delivery whose signature checks out (and forwards it, as
received, to ``--forward-to``), and unsubscribes when stopped. The server must
allow local targets: the embedded default (``make run``) does; elsewhere set
``MSGBOXX_WEBHOOK_ALLOW_PRIVATE=true`` on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from datetime import UTC
from typing import Annotated

import httpx
import typer
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from msgboxx.cli._app import fail, webhook_cli
from msgboxx.cli._connect import DEFAULT_URL, PasswordStdin, Url, Username, credentials
from msgboxx.client import AsyncClient, Event, MsgboxxError, WebhookCreated, verify_webhook
from msgboxx.core.events import EventType

ALL_EVENTS = ",".join(e.value for e in EventType)
# What a forwarded delivery carries over, so the target can verify it with the same secret.
_FORWARDED = ("content-type", "webhook-id", "webhook-timestamp", "webhook-signature")


class _Receiver(uvicorn.Server):
    """uvicorn without its own signal handling: the command stops it, then unsubscribes."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _pretty(event: Event) -> str:
    data = event.data
    at = event.timestamp.astimezone(UTC).strftime("%H:%M:%S")
    parts = [f"{at}  {event.type:<17}"]
    for key in ("status", "mobileNumber", "messageId", "contactId", "broadcastId"):
        if data.get(key):
            parts.append(f"{key}={data[key]}")
            if key in ("messageId", "broadcastId", "mobileNumber"):
                break
    if data.get("message"):
        text = str(data["message"]).replace("\n", " ")
        parts.append(repr(text if len(text) <= 50 else text[:47] + "..."))
    return "  ".join(parts)


async def _listen(
    client: AsyncClient,
    *,
    host: str,
    port: int,
    events: list[str],
    account: str | None,
    forward_to: str | None,
    as_json: bool,
) -> None:
    subscription: WebhookCreated | None = None
    forwarder = httpx.AsyncClient(timeout=10)

    async def receive(request: Request) -> Response:
        body = await request.body()
        if subscription is None:
            return Response(status_code=503)  # not subscribed yet: the server retries
        try:
            event = verify_webhook(request.headers, body, subscription.secret)
        except MsgboxxError as exc:
            typer.echo(f"refused a delivery: {exc}", err=True)
            return Response(status_code=401)
        if as_json:
            typer.echo(body.decode())
        else:
            typer.echo(_pretty(event))
        if forward_to:
            headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
            try:
                answer = await forwarder.post(forward_to, content=body, headers=headers)
                typer.echo(f"  -> {forward_to} [{answer.status_code}]", err=True)
            except httpx.HTTPError as exc:
                typer.echo(f"  -> {forward_to} failed: {exc!r}", err=True)
        return Response(status_code=204)

    app = Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, lifespan="off", access_log=False
    )
    server = _Receiver(config)
    serving = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    try:
        while not server.started:
            if serving.done():
                serving.result()
                raise fail(f"cannot listen on {host}:{port}")
            await asyncio.sleep(0.02)
        bound = server.servers[0].sockets[0].getsockname()[1]
        target = f"http://{host}:{bound}/"
        subscription = await client.webhooks.subscribe(
            target_url=target, events=events, api_account_id=account
        )
        typer.echo(
            f"Ready: {', '.join(events)} from {client.base_url} arrive at {target}\n"
            f"  webhook {subscription.webhook_id}, signing secret {subscription.secret}\n"
            + (f"  forwarding to {forward_to}\n" if forward_to else "")
            + "  Ctrl-C stops and unsubscribes",
            err=True,
        )
        await serving
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await serving
        await forwarder.aclose()
        if subscription is not None:
            await client.webhooks.delete(subscription.webhook_id)
            typer.echo(f"unsubscribed webhook {subscription.webhook_id}", err=True)


@webhook_cli.command("listen")
def listen(
    events: Annotated[
        str, typer.Option(help=f"Comma-separated events (default every one: {ALL_EVENTS}).")
    ] = ALL_EVENTS,
    account: Annotated[
        str | None,
        typer.Option("--account", help="Only this API account's events (needed by agents)."),
    ] = None,
    forward_to: Annotated[
        str | None,
        typer.Option("--forward-to", help="Also POST each verified delivery, as received, here."),
    ] = None,
    port: Annotated[int, typer.Option(help="Local port to receive on (default: a free one).")] = 0,
    host: Annotated[str, typer.Option(help="Local interface to receive on.")] = "127.0.0.1",
    as_json: Annotated[bool, typer.Option("--json", help="Print each event as one JSON line.")] = (
        False
    ),
    url: Url = DEFAULT_URL,
    username: Username = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Receive your webhooks locally: subscribe, print verified events, unsubscribe on exit."""
    chosen = [e.strip() for e in events.split(",") if e.strip()]
    user, password = credentials(username, password_stdin)

    async def main() -> None:
        async with AsyncClient(url, username=user, password=password) as client:
            await _listen(
                client,
                host=host,
                port=port,
                events=chosen,
                account=account,
                forward_to=forward_to,
                as_json=as_json,
            )

    try:
        asyncio.run(main())
    except MsgboxxError as exc:
        raise fail(str(exc)) from None
