"""``/template``."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from msgboxx.core.wire import Envelope, envelope
from msgboxx.templates import service
from msgboxx.templates.schemas import TemplateCreate, TemplateOut
from msgboxx.templates.status import TemplateStatus
from msgboxx.web import openapi
from msgboxx.web.deps import CurrentUser, FromDate, Page, UnitOfWork
from msgboxx.web.routing import AliasedRouter
from msgboxx.web.writes import commit_and_answer

router = AliasedRouter(singular="/template", plural="/templates", tags=["Templates"])


@router.get("/template", response_model=Envelope[TemplateOut], operation_id="listTemplates")
async def list_templates(
    tx: UnitOfWork,
    user: CurrentUser,
    page: Page,
    fromDate: FromDate,
    apiAccountId: uuid.UUID | None = None,
    status: TemplateStatus | None = None,
) -> Envelope[TemplateOut]:
    rows, total = await service.list_templates(
        tx, user, page, account_id=apiAccountId, status=status, created_from=fromDate
    )
    return envelope([TemplateOut.of(t) for t in rows], total=total, request=page)


@router.get("/template/{templateId}", response_model=TemplateOut, operation_id="getTemplate")
async def get_template(templateId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> TemplateOut:
    return TemplateOut.of(await service.get(tx, user, templateId))


@router.post(
    "/template",
    status_code=201,
    response_model=TemplateOut,
    operation_id="createTemplate",
    responses={
        201: {"model": TemplateOut},
        **openapi.problems(
            {
                403: "Only an admin may create templates",
                409: "The account already has a template of this name and language",
                422: "Invalid fields, or placeholders that are not {{1}}, {{2}}, ... in order",
            }
        ),
    },
)
async def create_template(
    body: TemplateCreate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    """Admin only: created Pending and submitted to the channel for approval."""

    async def produce() -> TemplateOut:
        template = await service.create_for_user(
            tx,
            user,
            account_id=body.apiAccountId,
            name=body.name,
            text=body.templateText,
            example=body.templateExample,
            language=body.language,
            category=body.category,
            header_type=body.headerType,
        )
        return TemplateOut.of(template)

    return await commit_and_answer(request, tx, user, payload=body, produce=produce)
