"""Every statement on the templates table.

Templates are few and change seldom (a create, a verdict, a sync every quarter
hour), so they are read and written as ORM models; none of this is on a hot path.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select, update

from msgboxx.core.wire import PageRequest
from msgboxx.db.paging import fetch_page
from msgboxx.db.tx import Tx
from msgboxx.templates.models import Template
from msgboxx.templates.status import TemplateStatus


async def add(tx: Tx, *templates: Template) -> None:
    """Insert now, so a name already taken fails here (IntegrityError), not at commit."""
    tx.session.add_all(templates)
    await tx.session.flush()


async def change(tx: Tx, template: Template, **values: Any) -> None:
    """Change a loaded template's columns."""
    for column, value in values.items():
        setattr(template, column, value)
    await tx.session.flush()


async def get(tx: Tx, template_id: uuid.UUID) -> Template | None:
    return await tx.session.get(Template, template_id)


async def id_by_name(
    tx: Tx, *, account_id: uuid.UUID, name: str, language: str
) -> uuid.UUID | None:
    return await tx.session.scalar(
        select(Template.id).where(
            Template.account_id == account_id,
            Template.name == name,
            Template.language == language,
        )
    )


def _visible(visible: Select[uuid.UUID]) -> Select[Template]:
    """Templates of the accounts in ``visible`` (a subquery of account ids), newest first."""
    return (
        select(Template)
        .where(Template.account_id.in_(visible))
        .order_by(Template.created_at.desc(), Template.id.desc())
    )


async def get_visible(
    tx: Tx, *, visible: Select[uuid.UUID], template_id: uuid.UUID
) -> Template | None:
    return await tx.session.scalar(_visible(visible).where(Template.id == template_id))


async def page(
    tx: Tx,
    *,
    visible: Select[uuid.UUID],
    page: PageRequest,
    account_id: uuid.UUID | None,
    status: TemplateStatus | None,
    created_from: datetime | None,
) -> tuple[list[Template], int]:
    query = _visible(visible)
    if account_id is not None:
        query = query.where(Template.account_id == account_id)
    if status is not None:
        query = query.where(Template.status == status)
    if created_from is not None:
        query = query.where(Template.created_at >= created_from)
    return await fetch_page(tx, query, page)


async def of_account(tx: Tx, account_id: uuid.UUID) -> list[Template]:
    return list(await tx.session.scalars(select(Template).where(Template.account_id == account_id)))


async def by_provider_id(
    tx: Tx, *, account_ids: Sequence[uuid.UUID], provider_template_id: str
) -> list[Template]:
    return list(
        await tx.session.scalars(
            select(Template).where(
                Template.account_id.in_(account_ids),
                Template.provider_template_id == provider_template_id,
            )
        )
    )


async def by_name(
    tx: Tx, *, account_ids: Sequence[uuid.UUID], name: str, language: str
) -> list[Template]:
    return list(
        await tx.session.scalars(
            select(Template).where(
                Template.account_id.in_(account_ids),
                Template.name == name,
                Template.language == language,
            )
        )
    )


async def claim_submissions(
    tx: Tx, *, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    """Pending templates not yet handed to the channel, or whose hand-off died; stamped now.

    ``submitted_at`` is the lease: concurrent dispatchers skip the rows another
    is claiming (``SKIP LOCKED``), and a hand-off that died is due again once
    ``lease`` has passed.
    """
    due = (
        select(Template.id)
        .where(
            Template.status == TemplateStatus.pending,
            Template.provider_template_id.is_(None),
            or_(Template.submitted_at.is_(None), Template.submitted_at < now - lease),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await tx.session.scalars(
        update(Template)
        .where(Template.id.in_(due.scalar_subquery()))
        .values(submitted_at=now)
        .returning(Template.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed)
