"""Reads and writes of contacts, and the consent rules of inbound keywords."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from msgboxx.accounts import service as accounts
from msgboxx.accounts.models import ApiAccount
from msgboxx.auth.service import Principal
from msgboxx.contacts.models import Contact, ContactStatus
from msgboxx.contacts.schemas import ContactOut
from msgboxx.core import phones
from msgboxx.core.errors import Conflict, NotFound
from msgboxx.core.events import EventType
from msgboxx.core.wire import PageRequest
from msgboxx.db.paging import fetch_page
from msgboxx.db.tx import Tx

# Keywords WhatsApp users send to opt out or back in (compared case-insensitively,
# trimmed, punctuation at the end ignored).
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
    return await accounts.get_visible(tx, principal, Contact, contact_id, label="contact")


async def list_contacts(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    mobile_number: str | None = None,
    created_from: datetime | None = None,
) -> tuple[list[Contact], int]:
    number = None
    if mobile_number:
        account = await tx.session.get(ApiAccount, account_id) if account_id else None
        region = account.region if account else None
        number = phones.normalise(mobile_number, field="mobileNumber", region=region)
    query = accounts.visible(
        principal,
        Contact,
        equal={"account_id": account_id, "mobile_number": number},
        created_from=created_from,
    )
    return await fetch_page(tx, query, page)


async def id_by_number(
    tx: Tx, principal: Principal, *, account_id: uuid.UUID, mobile_number: str
) -> uuid.UUID:
    """The contact with this number (in any usual form) on a visible account, or 404."""
    account = await accounts.get(tx, principal, account_id)
    number = phones.normalise(mobile_number, field="mobileNumber", region=account.region)
    contact_id = await tx.session.scalar(
        select(Contact.id).where(Contact.account_id == account_id, Contact.mobile_number == number)
    )
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
) -> Contact:
    account = await accounts.get(tx, principal, account_id)
    number = phones.normalise(mobile_number, field="mobileNumber", region=account.region)
    existing = await _by_number(tx, account.id, number)
    if existing is not None:
        raise _duplicate(existing)
    contact = Contact(
        account_id=account.id, mobile_number=number, name=name, status=status, email=email
    )
    tx.session.add(contact)
    try:
        await tx.session.flush()
    except IntegrityError as exc:  # a concurrent create won the race
        # The rollback expires every loaded model (the account too): read no
        # attribute of one after it, only values kept in hand.
        await tx.rollback()
        existing = await _by_number(tx, account_id, number)
        raise _duplicate(existing) from exc
    _announce(tx, contact, EventType.contact_created)
    return contact


def _announce(tx: Tx, contact: Contact, event_type: EventType) -> None:
    """Tell webhook subscribers, in this transaction, what the contact now looks like."""
    tx.emit(account_id=contact.account_id, event_type=event_type, data=ContactOut.of(contact))


def _duplicate(existing: Contact | None) -> Conflict:
    contact_id = str(existing.id) if existing else None
    return Conflict(
        f"a contact with this number already exists on this account: {contact_id}",
        extra={"contactId": contact_id},
    )


async def _by_number(tx: Tx, account_id: uuid.UUID, number: str) -> Contact | None:
    return await tx.session.scalar(
        select(Contact).where(Contact.account_id == account_id, Contact.mobile_number == number)
    )


async def update(
    tx: Tx, principal: Principal, contact_id: uuid.UUID, changes: dict[str, Any]
) -> Contact:
    """Apply only the fields the client sent; ``null`` clears a name or email."""
    contact = await get(tx, principal, contact_id)
    changed = False
    for field, value in changes.items():
        changed = changed or getattr(contact, field) != value
        setattr(contact, field, value)
    await tx.session.flush()
    if changed:
        _announce(tx, contact, EventType.contact_updated)
    return contact


async def set_consent(tx: Tx, *, contact: Contact, status: ContactStatus) -> None:
    """Apply an opt-out or opt-in the customer asked for by keyword."""
    if contact.status == status:
        return
    contact.status = status
    await tx.session.flush()
    _announce(tx, contact, EventType.contact_updated)


async def note_inbound(tx: Tx, *, contact: Contact, at: datetime) -> None:
    """The customer wrote at ``at``: the 24-hour window runs from their latest message.

    Written with the batch's next flush. A message the network delivers late
    does not shorten the window.
    """
    if contact.last_inbound_at is None or contact.last_inbound_at < at:
        contact.last_inbound_at = at


async def delete(tx: Tx, *, contact: Contact) -> None:
    """Delete a contact already loaded (and so checked visible) by the caller."""
    await tx.session.delete(contact)
    await tx.session.flush()


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
    by_number = await _by_number(tx, account.id, number) if number else None
    by_user_id = await _by_user_id(tx, account.id, user_id) if user_id else None
    contact = by_number or by_user_id
    if contact is None:
        contact = await _insert_once(
            tx, account=account, number=number, user_id=user_id, name=profile_name
        )
        if contact is not None:
            _announce(tx, contact, EventType.contact_created)
            return contact, True
        by_number = await _by_number(tx, account.id, number) if number else None
        by_user_id = await _by_user_id(tx, account.id, user_id) if user_id else None
        contact = by_number or by_user_id
        if contact is None:  # pragma: no cover - the insert lost to a row we cannot see
            raise RuntimeError("a contact insert conflicted with no visible contact")
    changed = False
    if number and contact.mobile_number is None and by_number is None:
        contact.mobile_number = number
        changed = True
    if user_id and contact.whatsapp_user_id is None and by_user_id is None:
        contact.whatsapp_user_id = user_id
        changed = True
    if profile_name and not contact.name:
        contact.name = profile_name
        changed = True
    if changed:
        await tx.session.flush()
        _announce(tx, contact, EventType.contact_updated)
    return contact, False


async def _insert_once(
    tx: Tx,
    *,
    account: ApiAccount,
    number: str | None,
    user_id: str | None,
    name: str | None,
) -> Contact | None:
    """Insert a contact unless one with its number or user id exists (None then).

    ``ON CONFLICT DO NOTHING`` waits for a concurrent insert of the same customer
    instead of failing the whole batch on its unique index.
    """
    dialect = tx.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    contact_id = await tx.session.scalar(
        insert(Contact)
        .values(
            account_id=account.id,
            mobile_number=number,
            whatsapp_user_id=user_id,
            name=name,
            status=ContactStatus.subscribed,
        )
        .on_conflict_do_nothing()
        .returning(Contact.id)
    )
    return await tx.session.get(Contact, contact_id) if contact_id is not None else None


async def _by_user_id(tx: Tx, account_id: uuid.UUID, user_id: str) -> Contact | None:
    return await tx.session.scalar(
        select(Contact).where(Contact.account_id == account_id, Contact.whatsapp_user_id == user_id)
    )


async def change_number(tx: Tx, *, account: ApiAccount, number: str, new_number: str) -> bool:
    """A customer moved to a new number (WhatsApp told us): their contact follows.

    Nothing changes when no contact has the old number, or another contact
    already has the new one (two records of one person are not merged here).
    """
    contact = await _by_number(tx, account.id, number)
    if contact is None or await _by_number(tx, account.id, new_number) is not None:
        return False
    contact.mobile_number = new_number
    await tx.session.flush()
    _announce(tx, contact, EventType.contact_updated)
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
