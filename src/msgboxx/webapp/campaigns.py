"""The campaigns page: each campaign's progress, live, and pause, resume or cancel.

The same services as ``/campaign`` of the API: who sees which campaign, which
changes a campaign's status allows, and what its counts are live in
``campaigns.service``; the page only shows them.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from msgboxx.campaigns import service as campaigns
from msgboxx.campaigns.schemas import CampaignOut
from msgboxx.core.wire import PageRequest
from msgboxx.web.routing import Router
from msgboxx.webapp.rendering import PageRoute, done, render
from msgboxx.webapp.session import Agent, SignedIn

router = Router(route_class=PageRoute, include_in_schema=False)

# The newest campaigns a page shows, each with its counts (a count is a query per campaign).
SHOWN = 20
# Live changes that move a campaign's figures: its status, its throttled progress, and its
# messages' statuses (the page fetches its list at most once a second for those).
LIVE_KINDS = "campaign.status campaign.progress message.status"


async def _shown(agent: Agent) -> tuple[list[CampaignOut], int]:
    listed, total = await campaigns.list_campaigns(
        agent.tx, agent.principal, PageRequest(page=1, pageSize=SHOWN)
    )
    return [await campaigns.get(agent.tx, agent.principal, c.campaignId) for c in listed], total


@router.get("/app/campaigns")
async def page(agent: SignedIn) -> Response:
    shown, total = await _shown(agent)
    return render("campaigns.html", agent=agent, campaigns=shown, total=total, live=LIVE_KINDS)


@router.get("/app/campaigns/list")
async def listing(agent: SignedIn) -> Response:
    """The list alone, which the page fetches again when a campaign's figures moved."""
    shown, total = await _shown(agent)
    return render("_campaigns.html", agent=agent, campaigns=shown, total=total)


async def _changed(request: Request, agent: Agent) -> Response:
    await agent.tx.commit()
    return done(request, "/app/campaigns")


@router.post("/app/campaigns/{campaign_id}/pause")
async def pause(request: Request, campaign_id: uuid.UUID, agent: SignedIn) -> Response:
    """By the rules of ``POST /campaign/{id}/pause`` (409 once it has finished)."""
    await campaigns.pause(agent.tx, agent.principal, campaign_id)
    return await _changed(request, agent)


@router.post("/app/campaigns/{campaign_id}/resume")
async def resume(request: Request, campaign_id: uuid.UUID, agent: SignedIn) -> Response:
    await campaigns.resume(agent.tx, agent.principal, campaign_id)
    return await _changed(request, agent)


@router.post("/app/campaigns/{campaign_id}/cancel")
async def cancel(request: Request, campaign_id: uuid.UUID, agent: SignedIn) -> Response:
    await campaigns.cancel(agent.tx, agent.principal, campaign_id)
    return await _changed(request, agent)
