"""``/campaign``, and ``/organisation/tier`` (the WhatsApp messaging tier campaigns respect)."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from msgboxx.campaigns import service
from msgboxx.campaigns.schemas import (
    CampaignCreate,
    CampaignOut,
    MessageOut,
    TierOut,
    TierUpdate,
)
from msgboxx.campaigns.status import CampaignStatus
from msgboxx.core.wire import Envelope, envelope
from msgboxx.web import openapi
from msgboxx.web.deps import CurrentUser, Page, UnitOfWork, settings
from msgboxx.web.routing import AliasedRouter
from msgboxx.web.writes import commit_and_answer

router = AliasedRouter(singular="/campaign", plural="/campaigns", tags=["Campaigns"])
tiers = AliasedRouter(singular="/organisation", plural="/organisations", tags=["Campaigns"])


@router.post(
    "/campaign",
    status_code=201,
    response_model=CampaignOut,
    operation_id="createCampaign",
    responses={
        201: {"model": CampaignOut},
        **openapi.problems(
            {
                422: "Invalid fields, or a business rule: the template is not Approved, not "
                "of this API account or has a media header, the parameters do not fit its "
                "placeholders, the audience is not exactly one of tags, contactIds or all (or "
                "names contacts of another account), or sendAt is not in the future",
            }
        ),
    },
)
async def create_campaign(
    body: CampaignCreate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    """Schedule a template to an audience; each recipient's values are filled from its own
    fields when its turn comes.
    """

    async def produce() -> CampaignOut:
        return await service.create(tx, user, body)

    return await commit_and_answer(request, tx, user, payload=body, produce=produce)


@router.get("/campaign", response_model=Envelope[CampaignOut], operation_id="listCampaigns")
async def list_campaigns(
    tx: UnitOfWork,
    user: CurrentUser,
    page: Page,
    apiAccountId: uuid.UUID | None = None,
    status: CampaignStatus | None = None,
) -> Envelope[CampaignOut]:
    shown, total = await service.list_campaigns(
        tx, user, page, account_id=apiAccountId, status=status
    )
    return envelope(shown, total=total, request=page)


@router.get("/campaign/{campaignId}", response_model=CampaignOut, operation_id="getCampaign")
async def get_campaign(campaignId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> CampaignOut:
    """The campaign with its recipients and their messages counted as they stand now."""
    return await service.get(tx, user, campaignId)


@router.get(
    "/campaign/{campaignId}/messages",
    response_model=Envelope[MessageOut],
    operation_id="listCampaignMessages",
)
async def campaign_messages(
    campaignId: uuid.UUID, tx: UnitOfWork, user: CurrentUser, page: Page
) -> Envelope[MessageOut]:
    shown, total = await service.campaign_messages(tx, user, campaignId, page)
    return envelope(shown, total=total, request=page)


_CHANGE = openapi.problems({409: "The campaign is completed or cancelled"})


@router.post(
    "/campaign/{campaignId}/pause",
    response_model=CampaignOut,
    operation_id="pauseCampaign",
    responses=_CHANGE,
)
async def pause_campaign(campaignId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> CampaignOut:
    """Queue no more; what is already queued (about a second of sends) still goes."""
    shown = await service.pause(tx, user, campaignId)
    await tx.commit()
    return shown


@router.post(
    "/campaign/{campaignId}/resume",
    response_model=CampaignOut,
    operation_id="resumeCampaign",
    responses=_CHANGE,
)
async def resume_campaign(campaignId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> CampaignOut:
    shown = await service.resume(tx, user, campaignId)
    await tx.commit()
    return shown


@router.post(
    "/campaign/{campaignId}/cancel",
    response_model=CampaignOut,
    operation_id="cancelCampaign",
    responses=_CHANGE,
)
async def cancel_campaign(campaignId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> CampaignOut:
    shown = await service.cancel(tx, user, campaignId)
    await tx.commit()
    return shown


@tiers.get(
    "/organisation/tier",
    response_model=TierOut,
    operation_id="getMessagingTier",
    responses=openapi.problems({403: "Only an admin sees the messaging tier"}),
)
async def get_tier(request: Request, tx: UnitOfWork, user: CurrentUser) -> TierOut:
    """WhatsApp's cap on unique customers reached outside their window per moving 24 hours."""
    return await service.tier(tx, user, default=settings(request).messaging_tier_default)


@tiers.put(
    "/organisation/tier",
    response_model=TierOut,
    operation_id="setMessagingTier",
    responses=openapi.problems({403: "Only an admin sets the messaging tier"}),
)
async def set_tier(
    body: TierUpdate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> TierOut:
    shown = await service.set_tier(
        tx, user, body.tier, default=settings(request).messaging_tier_default
    )
    await tx.commit()
    return shown
