"""``create_app(settings)``: the API, and on the embedded default the dispatcher too."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from msgboxx import __version__, demo, runtime, wiring
from msgboxx.accounts.router import accounts as accounts_router
from msgboxx.accounts.router import inboxes as inboxes_router
from msgboxx.auth.principals import Principals
from msgboxx.auth.router import router as auth_router
from msgboxx.broadcasts.router import router as broadcasts_router
from msgboxx.campaigns.router import router as campaigns_router
from msgboxx.campaigns.router import tiers as tiers_router
from msgboxx.channels.cloud_api.router import router as whatsapp_router
from msgboxx.channels.sandbox.router import router as sandbox_router
from msgboxx.contacts.router import STREAMED as CONTACTS_STREAMED
from msgboxx.contacts.router import router as contacts_router
from msgboxx.conversations.router import routers as conversations_routers
from msgboxx.db import migrate as migrations
from msgboxx.live import stopping
from msgboxx.live.router import router as live_router
from msgboxx.media.router import STREAMED as MEDIA_STREAMED
from msgboxx.media.router import router as media_router
from msgboxx.messages.router import router as messages_router
from msgboxx.observability import logs, stalls
from msgboxx.settings import Settings
from msgboxx.templates.router import router as templates_router
from msgboxx.web import health, openapi, problems, routing
from msgboxx.web.middleware import RequestContext
from msgboxx.webapp import routes as webapp
from msgboxx.webhooks.router import router as webhooks_router

DESCRIPTION = """Business messaging on WhatsApp: contacts, session messages inside the
24-hour window, approved templates outside it, and every status from Pending to Read.

Get a token at `POST /oauth/token`, then send `Authorization: Bearer <token>`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        live = wiring.open_live(settings)
        db = wiring.open_database(settings, live=live)
        if settings.is_sqlite:
            await migrations.run(db.url)  # the embedded default needs no setup step
        channels = wiring.open_channels(db, settings)
        media_store = wiring.open_media_store(settings)
        app.state.db = db
        app.state.principals = Principals(db.revocations)
        app.state.channels = channels
        app.state.media_store = media_store
        app.state.live = live
        if settings.seeds_demo:
            await demo.ensure(db)
        if settings.live:
            await live.start()
        # Open streams end when the server is asked to stop (uvicorn waits for them first).
        restore_signals = stopping.on_stop_signal(live.end_all)
        try:
            async with contextlib.AsyncExitStack() as stack:
                await stack.enter_async_context(stalls.watching(settings.stall_report_ms))
                background = None
                if settings.dispatch:
                    background = await stack.enter_async_context(
                        wiring.run_background(db, channels, settings, media_store)
                    )
                app.state.dispatcher = background.dispatcher if background else None
                app.state.webhook_sender = background.sender if background else None
                # Accepts wait for this process's dispatcher only where it is the only
                # one (SQLite): on PostgreSQL other processes send too, and pacing
                # accepts by one of them would hold them below what the fleet carries.
                app.state.backpressure = (
                    background.dispatcher.backpressure if background and db.is_sqlite else None
                )
                yield
        finally:
            restore_signals()
            await live.aclose()
            await channels.close()
            await media_store.aclose()
            await db.dispose()

    app = FastAPI(
        title="msgboxx",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by openapi.install from this server's own files, not a CDN's.
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=routing.operation_id,
        # A body sent without Content-Type is read as JSON, the API's only body format.
        strict_content_type=False,
    )
    app.state.settings = settings
    problems.install(app)
    openapi.install(app)
    # A request is matched against the routes of its first path segment in this
    # order (web.routing.RouteIndex): the busiest come first.
    routing.include(
        app.router,
        auth_router,
        messages_router,
        whatsapp_router,
        media_router,
        contacts_router,
        broadcasts_router,
        campaigns_router,
        tiers_router,
        accounts_router,
        inboxes_router,
        templates_router,
        webhooks_router,
        *conversations_routers,
        live_router,
        health.router,
    )
    if settings.uses_sandbox:
        routing.include(app.router, sandbox_router)
    # The agents' web inbox: pages over the same services, last (no API route is behind it).
    routing.include(app.router, webapp.router)
    app.mount(webapp.STATIC_PATH, webapp.static_files(), name="webapp-static")
    app.add_middleware(
        RequestContext,
        max_body_bytes=settings.max_body_bytes,
        streamed=MEDIA_STREAMED | CONTACTS_STREAMED,
    )
    routing.index(app)
    return app


def configured_app() -> FastAPI:
    """The factory uvicorn imports (``msgboxx.app:configured_app``)."""
    settings = Settings()
    logs.configure(settings.log_level)
    app = create_app(settings)
    runtime.settle_garbage_collector()
    return app
