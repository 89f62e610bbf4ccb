"""Reads and writes of templates, and the channel's verdict on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from msgboxx.accounts import service as accounts
from msgboxx.accounts.models import ApiAccount
from msgboxx.auth.service import Principal
from msgboxx.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.paging import fetch_page
from msgboxx.templates import placeholders
from msgboxx.templates.models import Template, TemplateStatus


async def get(session: AsyncSession, principal: Principal, template_id: uuid.UUID) -> Template:
    template = await session.scalar(
        select(Template).where(
            Template.id == template_id,
            Template.account_id.in_(accounts.visible_account_ids(principal)),
        )
    )
    if template is None:
        raise NotFound(f"template {template_id} was not found")
    return template


async def list_templates(
    session: AsyncSession,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    status: TemplateStatus | None = None,
    created_from: datetime | None = None,
) -> tuple[list[Template], int]:
    conditions: list[Any] = [Template.account_id.in_(accounts.visible_account_ids(principal))]
    if account_id is not None:
        conditions.append(Template.account_id == account_id)
    if status is not None:
        conditions.append(Template.status == status)
    if created_from is not None:
        conditions.append(Template.created_at >= created_from)
    query = (
        select(Template).where(*conditions).order_by(Template.created_at.desc(), Template.id.desc())
    )
    return await fetch_page(session, query, page)


async def create(
    session: AsyncSession,
    *,
    account: ApiAccount,
    name: str,
    text: str,
    example: str | None,
    language: str = "en",
    category: str = "UTILITY",
    status: TemplateStatus = TemplateStatus.pending,
) -> Template:
    """Create a template; a Pending one is submitted to the channel by the dispatcher."""
    problem = placeholders.check_numbering(text)
    if problem:
        raise Unprocessable.for_field("templateText", problem)
    if len(text) > 1024:
        raise Unprocessable.for_field("templateText", "must be at most 1,024 characters")
    duplicate = await session.scalar(
        select(Template.id).where(
            Template.account_id == account.id,
            Template.name == name,
            Template.language == language,
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"template {name!r} in language {language!r} already exists: {duplicate}",
            extra={"templateId": str(duplicate)},
        )
    template = Template(
        account_id=account.id,
        name=name,
        text=text,
        example=example,
        language=language,
        category=category,
        status=status,
        submitted_at=None if status is TemplateStatus.pending else utcnow(),
    )
    session.add(template)
    await session.flush()
    return template


async def create_for_user(
    session: AsyncSession, principal: Principal, *, account_id: uuid.UUID, **fields: Any
) -> Template:
    if not principal.is_admin:
        raise Forbidden("only an admin may create templates")
    account = await accounts.get(session, principal, account_id)
    return await create(session, account=account, **fields)


async def get_for_broadcast(
    session: AsyncSession, *, template_id: uuid.UUID, account_id: uuid.UUID
) -> Template:
    """The template a broadcast names: it must be this account's and Approved."""
    template = await session.get(Template, template_id)
    if template is None or template.account_id != account_id:
        raise Unprocessable.for_field(
            "templateId", "no template with this id belongs to the given API account"
        )
    if template.status != TemplateStatus.approved:
        raise Unprocessable.for_field(
            "templateId", f"template {template.name!r} is {template.status}, not Approved"
        )
    return template


async def record_verdict(
    session: AsyncSession,
    *,
    template_id: uuid.UUID,
    status: TemplateStatus,
    reason: str | None = None,
) -> Template | None:
    template = await session.get(Template, template_id)
    if template is None:
        return None
    template.status = status
    template.rejection_reason = reason if status is TemplateStatus.rejected else None
    await session.flush()
    return template
