"""``/healthz`` (the process answers), ``/readyz`` (the database does), ``/metrics``."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

from msgboxx.accounts import service as accounts
from msgboxx.core.wire import ApiModel
from msgboxx.db.health import ping
from msgboxx.web.deps import database
from msgboxx.web.routing import Router

router = Router(tags=["Operations"])


class Health(ApiModel):
    status: Literal["ok"]


class ChannelsHealth(ApiModel):
    status: Literal["ok", "degraded"]
    unhealthyAccounts: int  # noqa: N815  (the wire name)


class Readiness(ApiModel):
    """503 says ``unavailable`` and why the database is; channels never make it 503."""

    status: Literal["ok", "unavailable"]
    database: str
    channels: ChannelsHealth | None = None


@router.get("/healthz", response_model=Health, operation_id="getHealth")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    operation_id="getReadiness",
    responses={503: {"model": Readiness, "description": "The database does not answer"}},
)
async def readyz(request: Request) -> Response:
    """503 only for the database; accounts whose channel refuses them are listed, not fatal."""
    try:
        async with database(request).tx(write=False) as tx:
            await ping(tx)
            unhealthy = await accounts.unhealthy(tx)
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
