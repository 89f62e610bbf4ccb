"""Contacts: one per customer per account, their consent, their erasure.

Also the consent rules of inbound keywords (:func:`consent_keyword`).
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Select

from msgboxx.accounts import service as accounts
from msgboxx.accounts.service import ApiAccount
from msgboxx.auth.service import Principal
from msgboxx.contacts import import_file, importing, segments, store

# The record other domains are handed, for their type hints.
from msgboxx.contacts.models import Contact as Contact
from msgboxx.contacts.schemas import ContactOut, ImportReport
from msgboxx.contacts.status import ContactStatus
from msgboxx.core import phones
from msgboxx.core.errors import Conflict, NotFound, Unprocessable
from msgboxx.core.events import EventType
from msgboxx.core.wire import PageRequest
from msgboxx.db.tx import Tx
from msgboxx.media import service as media
from msgboxx.messages import service as messages

if TYPE_CHECKING:
    from msgboxx.media.storage import MediaStore

# Keywords WhatsApp users send to opt out or back in (compared case-insensitively,
# trimmed, spaces inside collapsed, a final full stop or exclamation mark ignored).
STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "opt out", "optout", "stop all"}
)
START_WORDS = frozenset({"start", "unstop", "subscribe", "opt in", "optin", "resume"})


def consent_keyword(text: str) -> ContactStatus | None:
    """The status an inbound text asks for, if it is a consent keyword."""
    word = " ".join(text.strip().rstrip(".!").lower().split())
    if word in STOP_WORDS:
        return ContactStatus.unsubscribed
    if word in START_WORDS:
        return ContactStatus.subscribed
    return None


async def get(tx: Tx, principal: Principal, contact_id: uuid.UUID) -> Contact:
    """A contact of an account the principal sees, or 404 (also for another tenant's)."""
    contact = await store.get_visible(tx, contact_id, accounts.visible_account_ids(principal))
    if contact is None:
        raise NotFound(f"contact {contact_id} was not found")
    return contact


async def view(tx: Tx, contact: Contact) -> ContactOut:
    """The contact as the API shows it, with its tags."""
    return ContactOut.of(contact, tags=(await store.tags_of(tx, [contact.id]))[contact.id])


async def views(tx: Tx, contacts: Sequence[Contact]) -> list[ContactOut]:
    """A page of contacts as the API shows them: their tags in one query."""
    tags = await store.tags_of(tx, [contact.id for contact in contacts])
    return [ContactOut.of(contact, tags=tags[contact.id]) for contact in contacts]


async def list_contacts(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    mobile_number: str | None = None,
    created_from: datetime | None = None,
    tags: Sequence[str] = (),
) -> tuple[list[Contact], int]:
    """The visible contacts matching every filter given; with ``tags``, those carrying all."""
    try:
        wanted = segments.clean_tags(tags)
    except segments.SegmentError as exc:
        raise Unprocessable.for_field("tag", str(exc)) from None
    number = None
    if mobile_number:
        account = await accounts.find(tx, account_id) if account_id else None
        region = account.region if account else None
        number = phones.normalise(mobile_number, field="mobileNumber", region=region)
    return await store.page(
        tx,
        page,
        visible=accounts.visible_account_ids(principal),
        account_id=account_id,
        mobile_number=number,
        created_from=created_from,
        tags=wanted,
    )


async def id_by_number(
    tx: Tx, principal: Principal, *, account_id: uuid.UUID, mobile_number: str
) -> uuid.UUID:
    """The contact with this number (in any usual form) on a visible account, or 404."""
    account = await accounts.get(tx, principal, account_id)
    number = phones.normalise(mobile_number, field="mobileNumber", region=account.region)
    contact_id = await store.id_by_number(tx, account_id, number)
    if contact_id is None:
        raise NotFound(f"no contact with mobile number {number} was found on this API account")
    return contact_id


async def create(
    tx: Tx,
    principal: Principal,
    *,
    account_id: uuid.UUID,
    mobile_number: str,
    name: str | None,
    status: ContactStatus,
    email: str | None,
    tags: Sequence[str] = (),
    attributes: dict[str, str | None] | None = None,
) -> Contact:
    """A new contact, with ``tags`` and ``attributes`` as :mod:`.segments` allows (else 422)."""
    tags = _tags(tags)
    account = await accounts.get(tx, principal, account_id)
    number = phones.normalise(mobile_number, field="mobileNumber", region=account.region)
    existing = await store.by_number(tx, account.id, number)
    if existing is not None:
        raise _duplicate(existing)
    contact = await store.add(
        tx,
        account_id=account.id,
        mobile_number=number,
        name=name,
        status=status,
        email=email,
        attributes=_attributes(None, attributes or {}),
    )
    if contact is None:  # a concurrent create won the race
        # The rollback expires every loaded model (the account too): read no
        # attribute of one after it, only values kept in hand.
        await tx.rollback()
        raise _duplicate(await store.by_number(tx, account_id, number))
    await store.add_tags(tx, contact, tags)
    await _announce(tx, contact, EventType.contact_created, tags=sorted(tags))
    return contact


async def _announce(
    tx: Tx, contact: Contact, event_type: EventType, *, tags: Sequence[str] | None = None
) -> None:
    """Tell webhook subscribers, in this transaction, what the contact now looks like.

    ``tags`` when the caller knows them (a new contact has none); else they are read.
    """
    if tags is None:
        tags = (await store.tags_of(tx, [contact.id]))[contact.id]
    tx.emit(
        account_id=contact.account_id,
        event_type=event_type,
        data=ContactOut.of(contact, tags=tags),
    )


def _tags(tags: Sequence[str]) -> list[str]:
    try:
        return segments.clean_tags(tags)
    except segments.SegmentError as exc:
        raise Unprocessable.for_field("tags", str(exc)) from None


def _attributes(existing: dict[str, str] | None, changes: dict[str, Any]) -> dict[str, str] | None:
    """The attributes ``changes`` leave; None (stored as SQL NULL) for none at all."""
    try:
        return segments.merged(existing, segments.clean_attributes(changes)) or None
    except segments.SegmentError as exc:
        raise Unprocessable.for_field("attributes", str(exc)) from None


def _duplicate(existing: Contact | None) -> Conflict:
    contact_id = str(existing.id) if existing else None
    return Conflict(
        f"a contact with this number already exists on this account: {contact_id}",
        extra={"contactId": contact_id},
    )


async def update(
    tx: Tx, principal: Principal, contact_id: uuid.UUID, changes: dict[str, Any]
) -> Contact:
    """Apply only the fields the client sent; ``null`` clears a name or email.

    ``tags`` replaces the contact's set (``None``: none); ``attributes`` is
    merged into the contact's (a ``None`` value removes its key; ``None`` for
    the whole removes them all).
    """
    contact = await get(tx, principal, contact_id)
    changes = dict(changes)
    replaces_tags = "tags" in changes
    tags = _tags(changes.pop("tags", None) or ())
    if "attributes" in changes:
        sent = changes["attributes"]
        changes["attributes"] = None if sent is None else _attributes(contact.attributes, sent)
    changed = await store.change(tx, contact, changes)
    if replaces_tags:
        changed = await store.replace_tags(tx, contact, tags) or changed
    if changed:
        await _announce(tx, contact, EventType.contact_updated)
    return contact


async def set_consent(tx: Tx, *, contact: Contact, status: ContactStatus) -> None:
    """Apply an opt-out or opt-in the customer asked for by keyword."""
    if contact.status == status:
        return
    await store.change(tx, contact, {"status": status})
    await _announce(tx, contact, EventType.contact_updated)


async def erase(
    tx: Tx, principal: Principal, contact_id: uuid.UUID, *, media_store: MediaStore
) -> None:
    """Right to erasure: the contact, the text of its messages and its media go.

    The message rows stay (counts, statuses) without their words, and what was
    still queued for the contact fails instead of being sent. The media records
    go with the contact; their bytes leave the store once this commits.
    """
    contact = await get(tx, principal, contact_id)
    await messages.erase_text_of_contact(tx, contact_id=contact.id)
    account = await accounts.find_by_id(tx, contact.account_id)
    if account is not None:
        await media.forget_contact(
            tx, organisation_id=account.org_id, contact_id=contact.id, media_store=media_store
        )
    await store.delete(tx, contact)


async def note_inbound(tx: Tx, *, contact: Contact, at: datetime) -> None:
    """The customer wrote at ``at``: their 24-hour window runs from their latest message."""
    if contact.last_inbound_at is None or contact.last_inbound_at < at:
        await store.change(tx, contact, {"last_inbound_at": at})


async def get_or_create_for_inbound(
    tx: Tx,
    *,
    account: ApiAccount,
    number: str | None,
    profile_name: str | None,
    user_id: str | None = None,
) -> tuple[Contact, bool]:
    """The contact a customer message comes from; unknown customers become contacts.

    A customer is known by number, by WhatsApp user id, or both: a contact found
    by one gets the other when a message carries both. Concurrent messages from
    one new customer make one contact (the losers of the insert find it).
    """
    by_number = await store.by_number(tx, account.id, number) if number else None
    by_user_id = await store.by_user_id(tx, account.id, user_id) if user_id else None
    contact = by_number or by_user_id
    if contact is None:
        contact = await store.insert_once(
            tx, account_id=account.id, number=number, user_id=user_id, name=profile_name
        )
        if contact is not None:
            await _announce(tx, contact, EventType.contact_created, tags=())
            return contact, True
        by_number = await store.by_number(tx, account.id, number) if number else None
        by_user_id = await store.by_user_id(tx, account.id, user_id) if user_id else None
        contact = by_number or by_user_id
        if contact is None:  # pragma: no cover - the insert lost to a row we cannot see
            raise RuntimeError("a contact insert conflicted with no visible contact")
    learnt: dict[str, Any] = {}
    if number and contact.mobile_number is None and by_number is None:
        learnt["mobile_number"] = number
    if user_id and contact.whatsapp_user_id is None and by_user_id is None:
        learnt["whatsapp_user_id"] = user_id
    if profile_name and not contact.name:
        learnt["name"] = profile_name
    if learnt:
        await store.change(tx, contact, learnt)
        await _announce(tx, contact, EventType.contact_updated)
    return contact, False


async def change_number(tx: Tx, *, account: ApiAccount, number: str, new_number: str) -> bool:
    """A customer moved to a new number (WhatsApp told us): their contact follows.

    Nothing changes when no contact has the old number, or another contact
    already has the new one (two records of one person are not merged here).
    """
    contact = await store.by_number(tx, account.id, number)
    if contact is None or await store.by_number(tx, account.id, new_number) is not None:
        return False
    await store.change(tx, contact, {"mobile_number": new_number})
    await _announce(tx, contact, EventType.contact_updated)
    return True


async def set_consent_by_number(
    tx: Tx, *, account: ApiAccount, number: str, status: ContactStatus
) -> Contact:
    """A customer's own stop or resume on WhatsApp; unknown numbers are remembered too."""
    contact, _created = await get_or_create_for_inbound(
        tx, account=account, number=number, profile_name=None
    )
    await set_consent(tx, contact=contact, status=status)
    return contact


async def import_region(tx: Tx, principal: Principal, account_id: uuid.UUID) -> str | None:
    """The region an import reads national numbers in; 404 for an account not visible."""
    return (await accounts.get(tx, principal, account_id)).region


async def read_import(file: IO[bytes], *, region: str | None, max_rows: int) -> import_file.Sheet:
    """Read a CSV file of contacts on a worker thread: the event loop keeps serving meanwhile."""

    def read() -> import_file.Sheet:
        text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
        try:
            return import_file.read(text, region=region, max_rows=max_rows)
        finally:
            text.detach()  # the caller closes the file

    return await asyncio.to_thread(read)


async def import_contacts(
    tx: Tx, principal: Principal, *, account_id: uuid.UUID, sheet: import_file.Sheet
) -> ImportReport:
    """Write a read file's contacts to the account (404 unless visible); the caller commits."""
    account = await accounts.get(tx, principal, account_id)
    return await importing.write(tx, account_id=account.id, sheet=sheet)


@dataclass(frozen=True, slots=True)
class Addressee:
    """A contact as a campaign fills and sends its template: its own fields and consent."""

    id: uuid.UUID
    name: str | None
    mobile_number: str | None
    status: str
    attributes: dict[str, Any] | None
    last_inbound_at: datetime | None


def audience(
    account_id: uuid.UUID,
    *,
    tags: list[str] | None = None,
    contact_ids: list[uuid.UUID] | None = None,
) -> Select[uuid.UUID]:
    """An account's contacts with any of the tags, among the ids, or all: a subquery of ids."""
    return store.audience(account_id, tags=tags, contact_ids=contact_ids)


async def unknown_ids(
    tx: Tx, *, account_id: uuid.UUID, contact_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Which of ``contact_ids`` are not contacts of the account."""
    found = await store.ids_among(tx, account_id, contact_ids)
    return [contact_id for contact_id in contact_ids if contact_id not in found]


async def addressees(tx: Tx, contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, Addressee]:
    """The contacts still there among ``contact_ids``, by id, as they stand now."""
    if not contact_ids:
        return {}
    return {row[0]: Addressee(*row) for row in await store.addressees(tx, contact_ids)}
