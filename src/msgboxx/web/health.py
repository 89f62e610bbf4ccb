"""``/healthz`` (the process answers), ``/readyz`` (the database does), ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from msgboxx.accounts import service as accounts
from msgboxx.web.deps import database

router = APIRouter(tags=["Operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """503 only for the database; accounts whose channel refuses them are listed, not fatal."""
    try:
        async with database(request).session(write=False) as session:
            await session.execute(text("SELECT 1"))
            unhealthy = await accounts.unhealthy(session)
    except Exception as exc:  # any failure means not ready; say which
        return JSONResponse(
            {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"},
            status_code=503,
        )
    # A count only: this endpoint is public; the account's detail says which and why.
    channels = {"status": "degraded" if unhealthy else "ok", "unhealthyAccounts": len(unhealthy)}
    return JSONResponse({"status": "ok", "database": "ok", "channels": channels})


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
