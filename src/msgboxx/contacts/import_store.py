"""The statements of a contact import: reads and writes of thousands of rows at a time.

Plain rows through the table, not ORM models: an import writes up to hundreds of
thousands of contacts, and a model per row would cost more than the statements.
Each call takes a batch (the caller splits the file), so the event loop gets a
turn between batches.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, select, text, update

from msgboxx.contacts.models import Contact, ContactTag
from msgboxx.db import dialect
from msgboxx.db.tx import Tx

_contacts: Table = Contact.__table__  # type: ignore[assignment]
_tags: Table = ContactTag.__table__  # type: ignore[assignment]


async def begin(tx: Tx) -> None:
    """Ready the transaction for an import's batches.

    On PostgreSQL each batch's statements are planned for their own values: the
    same text runs a hundred times while the table grows inside this uncommitted
    transaction, and a generic plan made when it held nothing turned the lookup
    of a batch's numbers into a scan of every row inserted so far (seconds per
    batch by the end of a 100,000-row file).
    """
    if tx.dialect == "postgresql":
        await tx.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


class Existing(NamedTuple):
    """What an import may change of a contact the account already has."""

    id: uuid.UUID
    mobile_number: str
    name: str | None
    email: str | None
    status: str
    attributes: dict[str, str] | None


async def existing(tx: Tx, account_id: uuid.UUID, numbers: Sequence[str]) -> list[Existing]:
    """The account's contacts with these numbers, locked on PostgreSQL until the commit.

    The lock keeps a concurrent change to one of them (a PATCH, a STOP) from
    being overwritten by values this import read before it.
    """
    query = (
        select(
            Contact.id,
            Contact.mobile_number,
            Contact.name,
            Contact.email,
            Contact.status,
            Contact.attributes,
        )
        .where(Contact.account_id == account_id, Contact.mobile_number.in_(numbers))
        .order_by(Contact.mobile_number)
        .with_for_update()
    )
    return [Existing(*row) for row in await tx.session.execute(query)]


async def insert(tx: Tx, rows: Sequence[dict[str, Any]]) -> dict[str, uuid.UUID]:
    """Insert new contacts; the ids of those inserted, by number.

    A number a concurrent transaction took meanwhile is skipped (``ON CONFLICT
    DO NOTHING``) rather than failing the import: the caller updates it instead.
    """
    if not rows:
        return {}
    statement = (
        dialect.insert(tx, _contacts)
        .on_conflict_do_nothing()
        .returning(_contacts.c.mobile_number, _contacts.c.id)
    )
    return {number: contact_id for number, contact_id in await tx.session.execute(statement, rows)}


_UPDATE = (
    update(_contacts)
    .where(_contacts.c.id == bindparam("contact_id", type_=_contacts.c.id.type))
    .values(
        name=bindparam("new_name", type_=_contacts.c.name.type),
        email=bindparam("new_email", type_=_contacts.c.email.type),
        status=bindparam("new_status", type_=_contacts.c.status.type),
        attributes=bindparam("new_attributes", type_=_contacts.c.attributes.type),
        updated_at=bindparam("now", type_=_contacts.c.updated_at.type),
    )
)


async def update_many(tx: Tx, rows: Sequence[dict[str, Any]], *, now: datetime) -> None:
    """Write each contact's new name, email, status and attributes (one statement, many rows)."""
    if rows:
        await tx.session.execute(
            _UPDATE,
            [
                {
                    "contact_id": row["id"],
                    "new_name": row["name"],
                    "new_email": row["email"],
                    "new_status": row["status"],
                    "new_attributes": row["attributes"],
                    "now": now,
                }
                for row in rows
            ],
        )


async def add_tags(tx: Tx, rows: Sequence[dict[str, Any]]) -> None:
    """Put tags on contacts (``contact_id``, ``account_id``, ``tag``); ones they have stay.

    ``RETURNING`` makes SQLAlchemy send the rows as multi-row INSERTs
    ("insertmanyvalues"); without it asyncpg's executemany runs one statement
    per tag, which took 0.4 ms a tag on PostgreSQL (65% of a whole import).
    """
    if rows:
        statement = dialect.insert(tx, _tags).on_conflict_do_nothing().returning(_tags.c.tag)
        await tx.session.execute(statement, rows)
