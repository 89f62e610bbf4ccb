"""Every statement on contacts."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy import delete as delete_rows
from sqlalchemy.exc import IntegrityError

from msgboxx.contacts.models import Contact, ContactTag
from msgboxx.contacts.status import ContactStatus
from msgboxx.core.wire import PageRequest
from msgboxx.db import dialect
from msgboxx.db.paging import fetch_page
from msgboxx.db.tx import Tx


def _visible(
    visible: Select[uuid.UUID],
    *,
    contact_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    mobile_number: str | None = None,
    created_from: datetime | None = None,
    tags: Sequence[str] = (),
) -> Select[Contact]:
    """Contacts of the visible accounts, newest first; a None filter is no filter.

    Each tag is an index range of ``ix_contact_tags_account_tag`` (the visible
    accounts' contacts with that tag); a contact must carry every one.
    """
    query = select(Contact).where(Contact.account_id.in_(visible))
    for tag in tags:
        query = query.where(
            Contact.id.in_(
                select(ContactTag.contact_id).where(
                    ContactTag.account_id.in_(visible), ContactTag.tag == tag
                )
            )
        )
    if contact_id is not None:
        query = query.where(Contact.id == contact_id)
    if account_id is not None:
        query = query.where(Contact.account_id == account_id)
    if mobile_number is not None:
        query = query.where(Contact.mobile_number == mobile_number)
    if created_from is not None:
        query = query.where(Contact.created_at >= created_from)
    return query.order_by(Contact.created_at.desc(), Contact.id.desc())


async def get_visible(tx: Tx, contact_id: uuid.UUID, visible: Select[uuid.UUID]) -> Contact | None:
    return await tx.session.scalar(_visible(visible, contact_id=contact_id))


async def page(
    tx: Tx,
    page: PageRequest,
    *,
    visible: Select[uuid.UUID],
    account_id: uuid.UUID | None,
    mobile_number: str | None,
    created_from: datetime | None,
    tags: Sequence[str],
) -> tuple[list[Contact], int]:
    query = _visible(
        visible,
        account_id=account_id,
        mobile_number=mobile_number,
        created_from=created_from,
        tags=tags,
    )
    return await fetch_page(tx, query, page)


async def tags_of(tx: Tx, contact_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each contact's tags in alphabetical order, in one query for a whole page."""
    found: dict[uuid.UUID, list[str]] = {contact_id: [] for contact_id in contact_ids}
    if not contact_ids:
        return found
    rows = await tx.session.execute(
        select(ContactTag.contact_id, ContactTag.tag)
        .where(ContactTag.contact_id.in_(contact_ids))
        .order_by(ContactTag.contact_id, ContactTag.tag)
    )
    for contact_id, tag in rows:
        found[contact_id].append(tag)
    return found


async def replace_tags(tx: Tx, contact: Contact, tags: Collection[str]) -> bool:
    """Make ``tags`` the contact's whole set; True when that changed it."""
    current = set((await tags_of(tx, [contact.id]))[contact.id])
    wanted = set(tags)
    if current == wanted:
        return False
    gone = current - wanted
    if gone:
        await tx.session.execute(
            delete_rows(ContactTag).where(
                ContactTag.contact_id == contact.id, ContactTag.tag.in_(gone)
            )
        )
    await add_tags(tx, contact, wanted - current)
    return True


async def add_tags(tx: Tx, contact: Contact, tags: Collection[str]) -> None:
    """Put ``tags`` on the contact (those it has already stay as they are)."""
    if tags:
        await tx.session.execute(
            dialect.insert(tx, ContactTag).on_conflict_do_nothing(),
            [{"contact_id": contact.id, "account_id": contact.account_id, "tag": t} for t in tags],
        )


async def id_by_number(tx: Tx, account_id: uuid.UUID, number: str) -> uuid.UUID | None:
    return await tx.session.scalar(
        select(Contact.id).where(Contact.account_id == account_id, Contact.mobile_number == number)
    )


async def by_number(tx: Tx, account_id: uuid.UUID, number: str) -> Contact | None:
    return await tx.session.scalar(
        select(Contact).where(Contact.account_id == account_id, Contact.mobile_number == number)
    )


async def by_user_id(tx: Tx, account_id: uuid.UUID, user_id: str) -> Contact | None:
    return await tx.session.scalar(
        select(Contact).where(Contact.account_id == account_id, Contact.whatsapp_user_id == user_id)
    )


async def add(
    tx: Tx,
    *,
    account_id: uuid.UUID,
    mobile_number: str,
    name: str | None,
    status: ContactStatus,
    email: str | None,
    attributes: dict[str, str] | None = None,
) -> Contact | None:
    """The new contact, or None when the number is taken (the transaction is then spent)."""
    contact = Contact(
        account_id=account_id,
        mobile_number=mobile_number,
        name=name,
        status=status,
        email=email,
        attributes=attributes or None,
    )
    tx.session.add(contact)
    try:
        await tx.session.flush()
    except IntegrityError:
        return None
    return contact


async def insert_once(
    tx: Tx,
    *,
    account_id: uuid.UUID,
    number: str | None,
    user_id: str | None,
    name: str | None,
) -> Contact | None:
    """Insert a contact unless one with its number or user id exists (None then).

    ``ON CONFLICT DO NOTHING`` waits for a concurrent insert of the same customer
    instead of failing the whole batch on its unique index.
    """
    contact_id = await tx.session.scalar(
        dialect.insert(tx, Contact)
        .values(
            account_id=account_id,
            mobile_number=number,
            whatsapp_user_id=user_id,
            name=name,
            status=ContactStatus.subscribed,
        )
        .on_conflict_do_nothing()
        .returning(Contact.id)
    )
    return await tx.session.get(Contact, contact_id) if contact_id is not None else None


async def change(tx: Tx, contact: Contact, changes: dict[str, Any]) -> bool:
    """Write the given fields; True when any of them held another value."""
    changed = False
    for field, value in changes.items():
        changed = changed or getattr(contact, field) != value
        setattr(contact, field, value)
    await tx.session.flush()
    return changed


async def delete(tx: Tx, contact: Contact) -> None:
    await tx.session.delete(contact)
    await tx.session.flush()


def audience(
    account_id: uuid.UUID,
    *,
    tags: list[str] | None,
    contact_ids: list[uuid.UUID] | None,
) -> Select[uuid.UUID]:
    """The ids of an account's contacts tagged with any of ``tags``, or among ``contact_ids``,
    or (neither given) all of them: a subquery for an INSERT ... SELECT.
    """
    if tags is not None:
        return (
            select(ContactTag.contact_id)
            .where(ContactTag.account_id == account_id, ContactTag.tag.in_(tags))
            .distinct()
        )
    query = select(Contact.id).where(Contact.account_id == account_id)
    if contact_ids is not None:
        query = query.where(Contact.id.in_(contact_ids))
    return query


async def ids_among(tx: Tx, account_id: uuid.UUID, contact_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    found = await tx.session.scalars(
        select(Contact.id).where(Contact.account_id == account_id, Contact.id.in_(contact_ids))
    )
    return set(found)


async def addressees(tx: Tx, contact_ids: list[uuid.UUID]) -> list[tuple[Any, ...]]:
    """What a template is filled from and sent by, for each contact still there."""
    found = await tx.session.execute(
        select(
            Contact.id,
            Contact.name,
            Contact.mobile_number,
            Contact.status,
            Contact.attributes,
            Contact.last_inbound_at,
        ).where(Contact.id.in_(contact_ids))
    )
    return [tuple(row) for row in found]
