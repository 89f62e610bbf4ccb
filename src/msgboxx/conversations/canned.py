"""Canned replies: an organisation's ready answers, managed by admins, read by everyone."""

from __future__ import annotations

import re
import uuid

from msgboxx.auth.service import Principal
from msgboxx.conversations import store
from msgboxx.conversations.models import CannedReply
from msgboxx.conversations.schemas import NOTE_MAX, SHORTCUT, CannedReplyOut
from msgboxx.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx

_SHORTCUT = re.compile(SHORTCUT)


def _out(reply: CannedReply) -> CannedReplyOut:
    return CannedReplyOut(
        cannedReplyId=reply.id,
        shortcut=reply.shortcut,
        body=reply.body,
        createdAt=reply.created_at,
        updatedAt=reply.updated_at,
    )


def _check(*, shortcut: str | None, body: str | None) -> None:
    if shortcut is not None and not _SHORTCUT.match(shortcut):
        raise Unprocessable.for_field("shortcut", "1 to 40 characters of a-z, 0-9, '_' and '-'")
    if body is not None and (not body.strip() or len(body) > NOTE_MAX):
        raise Unprocessable.for_field("body", f"must be 1 to {NOTE_MAX} characters")


def _admin_only(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only an admin may manage canned replies")


def _taken(shortcut: str) -> Conflict:
    return Conflict(f"the organisation already has a canned reply /{shortcut}")


async def list_canned_replies(tx: Tx, principal: Principal) -> list[CannedReplyOut]:
    """The organisation's replies by shortcut."""
    return [_out(reply) for reply in await store.canned_replies(tx, org_id=principal.org_id)]


async def create_canned_reply(
    tx: Tx, principal: Principal, *, shortcut: str, body: str
) -> CannedReplyOut:
    """A new reply (409 when the organisation has the shortcut already)."""
    _admin_only(principal)
    _check(shortcut=shortcut, body=body)
    now = utcnow()
    reply = CannedReply(
        id=uuid.uuid4(),
        org_id=principal.org_id,
        shortcut=shortcut,
        body=body,
        created_at=now,
        updated_at=now,
    )
    if not await store.add_canned_reply(tx, reply):
        raise _taken(shortcut)
    return _out(reply)


async def update_canned_reply(
    tx: Tx,
    principal: Principal,
    *,
    reply_id: uuid.UUID,
    shortcut: str | None = None,
    body: str | None = None,
) -> CannedReplyOut:
    _admin_only(principal)
    _check(shortcut=shortcut, body=body)
    if await store.canned_reply(tx, org_id=principal.org_id, reply_id=reply_id) is None:
        raise NotFound(f"canned reply {reply_id} was not found")
    values: dict[str, object] = {"updated_at": utcnow()}
    if shortcut is not None:
        values["shortcut"] = shortcut
    if body is not None:
        values["body"] = body
    if not await store.change_canned_reply(tx, reply_id=reply_id, values=values):
        raise _taken(str(shortcut))
    changed = await store.canned_reply(tx, org_id=principal.org_id, reply_id=reply_id)
    assert changed is not None  # found above, in this transaction
    return _out(changed)


async def delete_canned_reply(tx: Tx, principal: Principal, *, reply_id: uuid.UUID) -> None:
    _admin_only(principal)
    if not await store.delete_canned_reply(tx, org_id=principal.org_id, reply_id=reply_id):
        raise NotFound(f"canned reply {reply_id} was not found")
