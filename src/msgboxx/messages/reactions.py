"""Reactions: at most one in effect per contact and message, as WhatsApp shows them.

A reaction arrives as a message of its own (kind ``reaction``) naming Meta's id
of the message reacted to. It is stored like any message, with ``messageId``
(ours) added to its content when that message is this account's. A new
reaction replaces the contact's earlier one to the same message, and a
reaction without an emoji removes it; either way the earlier one stays stored,
marked ``"removed": true``, rather than deleted: a client that was told of it
(``message.inbound``) can still read it by its id, the history keeps what the
customer did, and the removal is itself a stored message whose
``message.inbound`` event tells listeners which reaction went (no new event
type, so no listener breaks). A removal with nothing in effect to remove is a
no-op: nothing is stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from msgboxx.db.tx import Tx
from msgboxx.messages import reaction_store, store

REACTION = reaction_store.REACTION


async def settle(
    tx: Tx,
    *,
    account_id: uuid.UUID,
    contact_id: uuid.UUID,
    provider_message_id: str,
    at: datetime,
    content: dict[str, Any],
) -> dict[str, Any] | None:
    """The content to store for this reaction, after marking what it replaces; None: store none.

    Earlier means by the customer's clock (Meta's timestamps), so a reaction
    delivered late never undoes a newer one: it is stored already removed.
    """
    reacted = content.get("providerMessageId")
    if not isinstance(reacted, str) or not reacted:
        return None if content.get("removed") else content
    content = dict(content)
    target = await store.by_provider_id(tx, reacted)
    if target is not None and target.account_id == account_id:
        content["messageId"] = str(target.id)
    in_effect = [
        found
        for found in await reaction_store.of_contact_to(
            tx, account_id=account_id, contact_id=contact_id, provider_message_id=reacted
        )
        if not found.content.get("removed") and found.provider_message_id != provider_message_id
    ]
    replaced = [found for found in in_effect if found.created_at <= at]
    if content.get("removed") and not replaced:
        return None
    if len(replaced) < len(in_effect):  # a newer reaction is in effect already
        content["removed"] = True
    await reaction_store.set_contents(
        tx, [(found.id, {**found.content, "removed": True}) for found in replaced]
    )
    return content
