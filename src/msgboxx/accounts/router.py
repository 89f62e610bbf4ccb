"""``/apiaccount`` and ``/inboxes``."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from msgboxx.accounts import service
from msgboxx.accounts.schemas import ApiAccountCreate, ApiAccountOut, InboxOut
from msgboxx.core.errors import Forbidden
from msgboxx.core.wire import Envelope, PageRequest, envelope
from msgboxx.web import openapi
from msgboxx.web.deps import CurrentUser, FromDate, Page, UnitOfWork, settings
from msgboxx.web.routing import AliasedRouter
from msgboxx.web.writes import commit_and_answer

accounts = AliasedRouter(singular="/apiaccount", plural="/apiaccounts", tags=["API accounts"])
inboxes = AliasedRouter(singular="/inbox", plural="/inboxes", tags=["Inboxes"])


@accounts.get("/apiaccount", response_model=Envelope[ApiAccountOut], operation_id="listApiAccounts")
async def list_accounts(
    tx: UnitOfWork, user: CurrentUser, page: Page, fromDate: FromDate
) -> Envelope[ApiAccountOut]:
    rows, total = await service.list_accounts(tx, user, page, created_from=fromDate)
    return envelope([ApiAccountOut.of(a) for a in rows], total=total, request=page)


@accounts.get(
    "/apiaccount/{apiAccountId}",
    response_model=Envelope[ApiAccountOut],
    operation_id="getApiAccount",
)
async def get_account(
    apiAccountId: uuid.UUID, tx: UnitOfWork, user: CurrentUser
) -> Envelope[ApiAccountOut]:
    """The original answers with an envelope holding the one account."""
    account = await service.get(tx, user, apiAccountId)
    return envelope([ApiAccountOut.of(account)], total=1, request=PageRequest())


@accounts.post(
    "/apiaccount",
    status_code=201,
    response_model=ApiAccountOut,
    operation_id="createApiAccount",
    responses={
        201: {"model": ApiAccountOut},
        **openapi.problems(
            {
                403: "Only an admin may connect an API account",
                409: "The number (or Cloud API phone number id) is already connected",
                422: "Invalid fields, or a cloud_api account without all five credentials",
            }
        ),
    },
)
async def create_account(
    body: ApiAccountCreate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    if not user.is_admin:
        raise Forbidden("only an admin may connect an API account")

    channel = body.channel or settings(request).channel
    channel_settings = body.channel_settings(channel)

    async def produce() -> ApiAccountOut:
        account, _inbox = await service.create(
            tx,
            org_id=user.org_id,
            phone_number=body.phoneNumber,
            name=body.name,
            channel=channel,
            channel_settings=channel_settings,
        )
        return ApiAccountOut.of(account)

    return await commit_and_answer(request, tx, user, payload=body, produce=produce)


@inboxes.get("/inboxes", response_model=Envelope[InboxOut], operation_id="listInboxes")
async def list_inboxes(
    tx: UnitOfWork,
    user: CurrentUser,
    page: Page,
    fromDate: FromDate,
    apiAccountId: uuid.UUID | None = None,
) -> Envelope[InboxOut]:
    rows, total = await service.list_inboxes(
        tx, user, page, account_id=apiAccountId, created_from=fromDate
    )
    return envelope([InboxOut.of(i) for i in rows], total=total, request=page)


@inboxes.get("/inbox/{inboxId}", response_model=InboxOut, operation_id="getInbox")
async def get_inbox(inboxId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> InboxOut:
    return InboxOut.of(await service.get_inbox(tx, user, inboxId))
