"""Reads and writes of templates, and the channel's verdict on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from msgboxx.accounts import service as accounts
from msgboxx.accounts.models import ApiAccount
from msgboxx.auth.service import Principal
from msgboxx.channels.base import RemoteTemplate
from msgboxx.core.errors import Conflict, Forbidden, Unprocessable
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.paging import fetch_page
from msgboxx.db.tx import Tx
from msgboxx.templates import placeholders
from msgboxx.templates.models import Template, TemplateStatus


async def get(tx: Tx, principal: Principal, template_id: uuid.UUID) -> Template:
    return await accounts.get_visible(tx, principal, Template, template_id, label="template")


async def list_templates(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    status: TemplateStatus | None = None,
    created_from: datetime | None = None,
) -> tuple[list[Template], int]:
    query = accounts.visible(
        principal,
        Template,
        equal={"account_id": account_id, "status": status},
        created_from=created_from,
    )
    return await fetch_page(tx, query, page)


async def create(
    tx: Tx,
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
    account_id = account.id
    duplicate = await _same_name(tx, account_id=account_id, name=name, language=language)
    if duplicate is not None:
        raise _duplicate(duplicate, name=name, language=language)
    template = Template(
        account_id=account_id,
        name=name,
        text=text,
        example=example,
        language=language,
        category=category,
        status=status,
        submitted_at=None if status is TemplateStatus.pending else utcnow(),
    )
    tx.session.add(template)
    try:
        await tx.session.flush()
    except IntegrityError as exc:  # a concurrent create won the race
        await tx.rollback()  # expires the models loaded: use only the values in hand
        duplicate = await _same_name(tx, account_id=account_id, name=name, language=language)
        raise _duplicate(duplicate, name=name, language=language) from exc
    return template


async def _same_name(
    tx: Tx, *, account_id: uuid.UUID, name: str, language: str
) -> uuid.UUID | None:
    return await tx.session.scalar(
        select(Template.id).where(
            Template.account_id == account_id,
            Template.name == name,
            Template.language == language,
        )
    )


def _duplicate(template_id: uuid.UUID | None, *, name: str, language: str) -> Conflict:
    return Conflict(
        f"template {name!r} in language {language!r} already exists: {template_id}",
        extra={"templateId": str(template_id) if template_id else None},
    )


async def create_for_user(
    tx: Tx, principal: Principal, *, account_id: uuid.UUID, **fields: Any
) -> Template:
    if not principal.is_admin:
        raise Forbidden("only an admin may create templates")
    account = await accounts.get(tx, principal, account_id)
    return await create(tx, account=account, **fields)


async def get_for_broadcast(tx: Tx, *, template_id: uuid.UUID, account_id: uuid.UUID) -> Template:
    """The template a broadcast names: it must be this account's and Approved."""
    template = await tx.session.get(Template, template_id)
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
    tx: Tx,
    *,
    template_id: uuid.UUID,
    status: TemplateStatus,
    reason: str | None = None,
) -> Template | None:
    template = await tx.session.get(Template, template_id)
    if template is None:
        return None
    template.status = status
    template.rejection_reason = reason if status is TemplateStatus.rejected else None
    template.provider_status = status.value.upper()
    await tx.session.flush()
    return template


async def apply_provider_status(
    tx: Tx,
    *,
    accounts_of_waba: list[uuid.UUID],
    provider_template_id: str,
    name: str,
    language: str,
    status: TemplateStatus,
    provider_status: str,
    reason: str | None,
) -> int:
    """The network's verdict or later change (paused, disabled); returns templates changed.

    Found by the network's id, or by name and language for a template submitted
    whose id we have not stored yet; a repeat changes nothing.
    """
    found = list(
        await tx.session.scalars(
            select(Template).where(
                Template.account_id.in_(accounts_of_waba),
                Template.provider_template_id == provider_template_id,
            )
        )
    )
    if not found and name:
        found = list(
            await tx.session.scalars(
                select(Template).where(
                    Template.account_id.in_(accounts_of_waba),
                    Template.name == name,
                    Template.language == language,
                )
            )
        )
    changed = 0
    for template in found:
        rejection = reason if status is TemplateStatus.rejected else None
        if (
            template.status == status
            and template.provider_status == provider_status
            and template.rejection_reason == rejection
        ):
            continue
        template.status = status
        template.provider_status = provider_status
        template.rejection_reason = rejection
        template.provider_template_id = template.provider_template_id or provider_template_id
        changed += 1
    await tx.session.flush()
    return changed


async def sync(tx: Tx, *, account: ApiAccount, remote: list[RemoteTemplate]) -> tuple[int, int]:
    """Bring the account's templates in step with the network's list: (created, updated)."""
    existing = {
        (t.name, t.language): t
        for t in await tx.session.scalars(select(Template).where(Template.account_id == account.id))
    }
    created = updated = 0
    for item in remote:
        template = existing.get((item.name, item.language))
        rejection = item.reason if item.status is TemplateStatus.rejected else None
        if template is None:
            if placeholders.check_numbering(item.text):
                continue  # not a shape a broadcast can fill
            tx.session.add(
                Template(
                    account_id=account.id,
                    name=item.name,
                    language=item.language,
                    category=item.category[:20],
                    status=item.status,
                    text=item.text,
                    example=None,
                    rejection_reason=rejection,
                    provider_template_id=item.provider_template_id,
                    provider_status=item.provider_status,
                    submitted_at=utcnow(),
                )
            )
            created += 1
            continue
        if template.status == TemplateStatus.pending and template.provider_template_id is None:
            continue  # ours, still waiting to be submitted: the submission decides
        before = (template.status, template.provider_status, template.text, template.category)
        template.status = item.status
        template.provider_status = item.provider_status
        template.rejection_reason = rejection
        template.text = item.text
        template.category = item.category[:20]
        template.provider_template_id = item.provider_template_id
        if before != (template.status, template.provider_status, template.text, template.category):
            updated += 1
    await tx.session.flush()
    return created, updated
