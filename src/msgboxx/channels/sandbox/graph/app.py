"""The double as one ASGI app: its state, Meta's routes and the controls."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from msgboxx.channels.sandbox.graph import api, control, media, uploads
from msgboxx.channels.sandbox.graph.state import GraphConfig, GraphDouble


def create_graph_app(config: GraphConfig | None = None) -> FastAPI:
    """The double as an ASGI app (served by ``msgboxx sandbox serve`` or in tests)."""
    double = GraphDouble(config or GraphConfig())

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await double.open()
        try:
            yield
        finally:
            await double.close()

    app = FastAPI(title="msgboxx WhatsApp Cloud API sandbox", lifespan=lifespan)
    app.state.double = double
    app.include_router(api.router)
    app.include_router(uploads.router)
    app.include_router(control.router)
    app.include_router(media.router)  # last: GET /{version}/{media_id} takes any two segments
    return app
