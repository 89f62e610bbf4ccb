"""``msgboxx serve``, ``worker``, ``migrate`` and ``sandbox serve``: the processes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from msgboxx import __version__
from msgboxx.cli._app import app, fail, sandbox_cli
from msgboxx.cli._store import describe
from msgboxx.db import migrate as migrations
from msgboxx.settings import Settings


def banner(settings: Settings, *, host: str, port: int) -> str:
    """What a person starting the server in a terminal wants first: where, and how in."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{shown}:{port}"
    lines = [
        f"msgboxx {__version__} starting on {url}",
        f"  web inbox    {url}/app/",
        f"  API docs     {url}/docs",
        f"  store        {describe(settings)}",
        f"  channel      {settings.channel}",
    ]
    if settings.seeds_demo:
        from msgboxx import demo

        lines.append(f"  demo login   {demo.EMAIL} / {demo.PASSWORD}")
    if settings.webhook_allow_private:
        lines.append("  webhooks     local targets allowed: try `msgboxx webhook listen`")
    lines.append("  (log lines follow as JSON; Ctrl-C stops)")
    return "\n".join(lines)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default MSGBOXX_PORT or 8000).")] = None,
    dispatch: Annotated[
        bool, typer.Option("--dispatch/--no-dispatch", help="Run the dispatcher in this process.")
    ] = True,
    workers: Annotated[int, typer.Option(help="HTTP worker processes.")] = 1,
) -> None:
    """Serve the API (and, unless --no-dispatch, send messages too)."""
    import uvicorn

    if not dispatch:
        os.environ["MSGBOXX_DISPATCH"] = "false"
    settings = Settings()
    if sys.stderr.isatty():
        typer.echo(
            banner(settings, host=host or settings.host, port=port or settings.port), err=True
        )
    uvicorn.run(
        "msgboxx.app:configured_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        access_log=False,
        **settings.serving_options(),
    )


@app.command()
def worker() -> None:
    """Run a dispatcher process: sends due messages and due webhook deliveries."""
    from msgboxx import runtime, wiring
    from msgboxx.observability import logs, stalls

    settings = Settings()
    logs.configure(settings.log_level)

    async def main() -> None:
        if settings.is_sqlite:
            await migrations.run(settings.resolved_database_url)
        # It serves no viewer, but tells the API processes' viewers what it changes.
        live = wiring.open_live(settings, listen=False)
        db = wiring.open_database(settings, live=live)
        channels = wiring.open_channels(db, settings)
        media_store = wiring.open_media_store(settings)
        if settings.live:
            await live.start()
        try:
            async with (
                stalls.watching(settings.stall_report_ms),
                wiring.run_background(db, channels, settings, media_store) as background,
            ):
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, background.stop)
                runtime.settle_garbage_collector()
                await background.finished()
        finally:
            await live.aclose()
            await channels.close()
            await media_store.aclose()
            await db.dispose()

    asyncio.run(main())


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    downgrade: Annotated[bool, typer.Option(help="Downgrade to the revision.")] = False,
) -> None:
    """Bring the database schema to the given revision."""
    settings = Settings()
    try:
        asyncio.run(
            migrations.run(
                settings.resolved_database_url,
                action="downgrade" if downgrade else "upgrade",
                revision=revision,
            )
        )
    except (DBAPIError, OSError) as exc:
        raise fail(f"migration failed: {exc}") from None
    typer.echo(f"database at revision {revision}", err=True)


@sandbox_cli.command("serve")
def sandbox_serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    webhook_url: Annotated[
        str | None,
        typer.Option(
            envvar="MSGBOXX_SANDBOX_WEBHOOK_URL",
            help="Where to deliver webhooks, e.g. http://127.0.0.1:8000/channels/whatsapp/webhook.",
        ),
    ] = None,
    app_secret: Annotated[
        str,
        typer.Option(envvar="MSGBOXX_SANDBOX_APP_SECRET", help="Signs the webhooks (HMAC)."),
    ] = "sandbox-app-secret",
    access_token: Annotated[
        str | None,
        typer.Option(
            envvar="MSGBOXX_SANDBOX_ACCESS_TOKEN", help="Accept only this token (default any)."
        ),
    ] = None,
    sent_delay: Annotated[float, typer.Option(help="Seconds until 'sent'.")] = 0.2,
    delivered_delay: Annotated[float, typer.Option(help="Seconds until 'delivered'.")] = 0.5,
    read_delay: Annotated[float, typer.Option(help="Seconds until 'read'.")] = 1.0,
    status_batch_seconds: Annotated[
        float, typer.Option(help="Statuses falling due this close together share a webhook.")
    ] = 0.05,
) -> None:
    """Serve a WhatsApp Cloud API double; point MSGBOXX_GRAPH_BASE_URL at it."""
    import uvicorn

    from msgboxx.channels.sandbox.graph import GraphConfig, create_graph_app
    from msgboxx.observability import logs

    logs.configure(Settings().log_level)
    config = GraphConfig(
        webhook_url=webhook_url,
        app_secret=app_secret,
        access_token=access_token,
        sent_delay=sent_delay,
        delivered_delay=delivered_delay,
        read_delay=read_delay,
        status_batch_seconds=status_batch_seconds,
    )
    uvicorn.run(
        create_graph_app(config),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
