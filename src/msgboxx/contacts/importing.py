"""A read CSV file written to an account's contacts, in the caller's one transaction.

The caller commits once for the whole file, so a failure anywhere leaves
nothing of it: an import is never silently partial. Rows go in batches of
:data:`BATCH`, each a handful of statements (the numbers looked up, the new
contacts inserted, the known ones updated, the tags added), never one
statement per row.

What a row does to a contact the account already has (same number): a name
or email given overwrites it, tags are added to its own, attributes are merged
into its own (an empty cell changes nothing), and its consent stays as it is
unless the row has a ``status``. A new contact is ``Subscribed`` unless its
row says otherwise: the business asserts, by importing its customers, that
they agreed to hear from it, as it does with ``POST /contact``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from msgboxx.contacts import import_store, segments
from msgboxx.contacts.import_file import Rejection, Row, Sheet
from msgboxx.contacts.schemas import ImportProblem, ImportReport, ImportSummary
from msgboxx.contacts.status import ContactStatus
from msgboxx.core.events import EventType
from msgboxx.db import new_id, utcnow
from msgboxx.db.tx import Tx

BATCH = 1000
# The rejected rows listed in the answer; the rest are counted (errorsOmitted).
MAX_ERRORS_SHOWN = 1000


async def write(tx: Tx, *, account_id: uuid.UUID, sheet: Sheet) -> ImportReport:
    """Write every row of ``sheet``; the report says what became of each. Nothing is committed."""
    now = utcnow()
    await import_store.begin(tx)
    created = updated = 0
    rejected = list(sheet.rejected)
    for start in range(0, len(sheet.rows), BATCH):
        batch = sheet.rows[start : start + BATCH]
        made, changed, refused = await _write_batch(tx, account_id, batch, now=now)
        created, updated = created + made, updated + changed
        rejected += refused
        await asyncio.sleep(0)  # other requests get the loop between batches
    rejected.sort(key=lambda rejection: rejection.line)
    summary = ImportSummary(
        apiAccountId=account_id,
        rows=sheet.total,
        created=created,
        updated=updated,
        rejected=len(rejected),
    )
    tx.emit(account_id=account_id, event_type=EventType.contact_imported, data=summary)
    shown = rejected[:MAX_ERRORS_SHOWN]
    return ImportReport(
        **summary.model_dump(),
        errors=[ImportProblem(line=r.line, number=r.number, reason=r.reason) for r in shown],
        errorsOmitted=len(rejected) - len(shown),
    )


async def _write_batch(
    tx: Tx, account_id: uuid.UUID, rows: Sequence[Row], *, now: datetime
) -> tuple[int, int, list[Rejection]]:
    """One batch: (contacts created, contacts updated, rows rejected).

    Every row is offered as a new contact first; the numbers the account has
    already are the inserts that did nothing, and only those are looked up.
    An import of new customers (the common case) reads nothing back.
    """
    inserted = await import_store.insert(tx, [_new_contact(account_id, row, now) for row in rows])
    taken = [row.number for row in rows if row.number not in inserted]
    known = await import_store.existing(tx, account_id, taken) if taken else []
    found = {contact.mobile_number: contact for contact in known}
    changes: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    rejected: list[Rejection] = []
    updated = 0
    for row in rows:
        contact_id = inserted.get(row.number)
        if contact_id is None:
            contact = found.get(row.number)
            if contact is None:  # erased by someone else between the insert and the lookup
                reason = "the contact was deleted while this file was imported: import it again"
                rejected.append(Rejection(line=row.line, number=row.number, reason=reason))
                continue
            try:
                change = _change(contact, row)
            except segments.SegmentError as exc:
                rejected.append(Rejection(line=row.line, number=row.number, reason=str(exc)))
                continue
            if change is not None:
                changes.append(change)
            contact_id = contact.id
            updated += 1
        tags += ({"contact_id": contact_id, "account_id": account_id, "tag": t} for t in row.tags)
    await import_store.update_many(tx, changes, now=now)
    await import_store.add_tags(tx, tags)
    return len(inserted), updated, rejected


def _new_contact(account_id: uuid.UUID, row: Row, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "account_id": account_id,
        "mobile_number": row.number,
        "name": row.name,
        "email": row.email,
        "status": row.status or ContactStatus.subscribed,
        "attributes": row.attributes or None,
        "created_at": now,
        "updated_at": now,
    }


def _change(contact: import_store.Existing, row: Row) -> dict[str, Any] | None:
    """The contact's values after the row, or None when the row changes none of them."""
    attributes = segments.merged(contact.attributes, dict(row.attributes)) or None
    after = {
        "id": contact.id,
        "name": row.name if row.name is not None else contact.name,
        "email": row.email if row.email is not None else contact.email,
        "status": row.status or contact.status,
        "attributes": attributes,
    }
    before = (contact.name, contact.email, contact.status, contact.attributes or None)
    if (after["name"], after["email"], after["status"], attributes) == before:
        return None
    return after
