"""The rules of templates: creating, filling for a broadcast, submitting, and the network's word."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from msgboxx.accounts import service as accounts
from msgboxx.auth.service import Principal
from msgboxx.channels.base import RemoteTemplate
from msgboxx.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.templates import placeholders, store
from msgboxx.templates.models import Template
from msgboxx.templates.status import TemplateStatus


class Account(Protocol):
    """An API account, as far as templates need one: which it is."""

    @property
    def id(self) -> uuid.UUID: ...


async def get(tx: Tx, principal: Principal, template_id: uuid.UUID) -> Template:
    """One template, or 404 — also when another tenant owns it."""
    template = await store.get_visible(
        tx, visible=accounts.visible_account_ids(principal), template_id=template_id
    )
    if template is None:
        raise NotFound(f"template {template_id} was not found")
    return template


async def list_templates(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    status: TemplateStatus | None = None,
    created_from: datetime | None = None,
) -> tuple[list[Template], int]:
    return await store.page(
        tx,
        visible=accounts.visible_account_ids(principal),
        page=page,
        account_id=account_id,
        status=status,
        created_from=created_from,
    )


async def create(
    tx: Tx,
    *,
    account: Account,
    name: str,
    text: str,
    example: str | None,
    language: str = "en",
    category: str = "UTILITY",
    status: TemplateStatus = TemplateStatus.pending,
    header_type: str | None = None,
) -> Template:
    """Create a template; a Pending one is submitted to the channel by the dispatcher."""
    problem = placeholders.check_numbering(text)
    if problem:
        raise Unprocessable.for_field("templateText", problem)
    if len(text) > 1024:
        raise Unprocessable.for_field("templateText", "must be at most 1,024 characters")
    account_id = account.id
    duplicate = await store.id_by_name(tx, account_id=account_id, name=name, language=language)
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
        header_type=header_type,
        submitted_at=None if status is TemplateStatus.pending else utcnow(),
    )
    try:
        await store.add(tx, template)
    except IntegrityError as exc:  # a concurrent create won the race
        await tx.rollback()  # expires the models loaded: use only the values in hand
        duplicate = await store.id_by_name(tx, account_id=account_id, name=name, language=language)
        raise _duplicate(duplicate, name=name, language=language) from exc
    return template


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


@dataclass(frozen=True, slots=True)
class Filled:
    """An Approved template filled in for one send: what its message carries."""

    template_id: uuid.UUID
    text: str
    parameters: list[str]
    # The kind of media its header takes at every send, if any.
    header_type: str | None = None


def parameters_of(
    text: str, *, name: str, message: str | None, parameters: list[str] | None
) -> list[str]:
    """The placeholder values of a send of template ``text``, from its finished text or values.

    Parameters must fit the placeholders (and, with a message as well, fill in
    to exactly it); a message alone must be the template with every
    placeholder replaced by non-empty text.
    """
    expected = len(placeholders.numbers(text))
    if parameters is not None:
        if len(parameters) != expected:
            raise Unprocessable.for_field(
                "parameters",
                f"template {name!r} has {expected} placeholder(s), "
                f"{len(parameters)} parameter(s) were given",
            )
        if message is not None and placeholders.fill(text, parameters) != message:
            raise Unprocessable.for_field(
                "message", "the message is not the template filled with these parameters"
            )
        return parameters
    if message is None:
        if expected == 0:
            return []
        raise Unprocessable.for_field(
            "message", f"give the filled-in template text or parameters; the template is {text!r}"
        )
    values = placeholders.extract(text, message)
    if values is None:
        raise Unprocessable.for_field(
            "message",
            f"the message does not match the template {text!r} with every "
            "placeholder replaced by non-empty text",
        )
    return values


async def fill_for_broadcast(
    tx: Tx,
    *,
    template_id: uuid.UUID,
    account_id: uuid.UUID,
    message: str | None,
    parameters: list[str] | None,
) -> Filled:
    """The template a broadcast names, filled in: it must be this account's and Approved."""
    template = await store.get(tx, template_id)
    if template is None or template.account_id != account_id:
        raise Unprocessable.for_field(
            "templateId", "no template with this id belongs to the given API account"
        )
    if template.status != TemplateStatus.approved:
        raise Unprocessable.for_field(
            "templateId", f"template {template.name!r} is {template.status}, not Approved"
        )
    values = parameters_of(
        template.text, name=template.name, message=message, parameters=parameters
    )
    return Filled(
        template.id, placeholders.fill(template.text, values), values, template.header_type
    )


async def claim_submissions(
    tx: Tx, *, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    """Pending templates due to be handed to their channel, claimed for ``lease``."""
    return await store.claim_submissions(tx, now=now, lease=lease, limit=limit)


async def to_submit(tx: Tx, template_id: uuid.UUID) -> Template | None:
    """A claimed template, as its submission hands it over (None if it was deleted)."""
    return await store.get(tx, template_id)


async def record_submission(
    tx: Tx,
    *,
    template_id: uuid.UUID,
    provider_template_id: str | None = None,
    rejection: str | None = None,
) -> None:
    """The channel took the template under ``provider_template_id``, or refused it for good.

    A refusal rejects only a template still Pending: a verdict that arrived in
    the meantime (by webhook) stands.
    """
    template = await store.get(tx, template_id)
    if template is None:
        return
    if provider_template_id is not None:
        await store.change(tx, template, provider_template_id=provider_template_id)
    elif template.status == TemplateStatus.pending:
        await store.change(tx, template, status=TemplateStatus.rejected, rejection_reason=rejection)


async def record_verdict(
    tx: Tx,
    *,
    template_id: uuid.UUID,
    status: TemplateStatus,
    reason: str | None = None,
) -> Template | None:
    """A channel's verdict on a template it was given; None for a template we do not have."""
    template = await store.get(tx, template_id)
    if template is None:
        return None
    await store.change(
        tx,
        template,
        status=status,
        rejection_reason=reason if status is TemplateStatus.rejected else None,
        provider_status=status.value.upper(),
    )
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
    found = await store.by_provider_id(
        tx, account_ids=accounts_of_waba, provider_template_id=provider_template_id
    )
    if not found and name:
        found = await store.by_name(tx, account_ids=accounts_of_waba, name=name, language=language)
    rejection = reason if status is TemplateStatus.rejected else None
    changed = 0
    for template in found:
        if (
            template.status == status
            and template.provider_status == provider_status
            and template.rejection_reason == rejection
        ):
            continue
        await store.change(
            tx,
            template,
            status=status,
            provider_status=provider_status,
            rejection_reason=rejection,
            provider_template_id=template.provider_template_id or provider_template_id,
        )
        changed += 1
    return changed


async def sync(tx: Tx, *, account_id: uuid.UUID, remote: list[RemoteTemplate]) -> tuple[int, int]:
    """Bring the account's templates in step with the network's list: (created, updated)."""
    existing = {(t.name, t.language): t for t in await store.of_account(tx, account_id)}
    new: list[Template] = []
    updated = 0
    for item in remote:
        template = existing.get((item.name, item.language))
        rejection = item.reason if item.status is TemplateStatus.rejected else None
        if template is None:
            if placeholders.check_numbering(item.text):
                continue  # not a shape a broadcast can fill
            new.append(
                Template(
                    account_id=account_id,
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
            continue
        if template.status == TemplateStatus.pending and template.provider_template_id is None:
            continue  # ours, still waiting to be submitted: the submission decides
        before = (template.status, template.provider_status, template.text, template.category)
        after = (item.status, item.provider_status, item.text, item.category[:20])
        await store.change(
            tx,
            template,
            status=item.status,
            provider_status=item.provider_status,
            rejection_reason=rejection,
            text=item.text,
            category=item.category[:20],
            provider_template_id=item.provider_template_id,
        )
        if before != after:
            updated += 1
    if new:
        await store.add(tx, *new)
    return len(new), updated


async def approved_of(tx: Tx, *, template_id: uuid.UUID, account_id: uuid.UUID) -> Template:
    """An Approved template of the account, or 422 naming ``templateId``: what a campaign
    checks when it is created (each of its sends is checked again by :func:`fill_for_broadcast`).
    """
    template = await store.get(tx, template_id)
    if template is None or template.account_id != account_id:
        raise Unprocessable.for_field(
            "templateId", "no template with this id belongs to the given API account"
        )
    if template.status != TemplateStatus.approved:
        raise Unprocessable.for_field(
            "templateId", f"template {template.name!r} is {template.status}, not Approved"
        )
    return template
