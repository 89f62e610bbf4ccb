"""What a live viewer is told: a change of one account, and its compact form between processes.

A change names what moved (the event type, e.g. ``message.status``) and the
resource, never its content: the page that shows it fetches the resource
through the API, under the viewer's own rights, so nothing here can show more
than the API would. Every event a domain emits (``Tx.emit``) becomes a change,
whether or not a webhook subscriber hears it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from msgboxx.core.wire import format_timestamp
from msgboxx.db.tx import Said

# A resource's own id, by the name its API view gives it, in this order: a message's
# events (message.*, broadcast.status) name the message, a contact's the contact.
# A future event whose view names its resource otherwise adds that name here.
_RESOURCE_NAMES = ("messageId", "contactId")

# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; a change is ~150.
PAYLOAD_LIMIT = 7900
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change of one account, as a live viewer is told it."""

    account_id: uuid.UUID
    kind: str  # the event type's value: "message.inbound", "message.status", ...
    contact_id: uuid.UUID | None
    resource_id: uuid.UUID | None  # the message's or the contact's id
    at: datetime

    @classmethod
    def of(cls, said: Said) -> Change:
        """The change an emitted event announces, read off its view's attributes."""
        account_id, event_type, data, at = said
        contact_id = getattr(data, "contactId", None)
        resource_id = None
        for name in _RESOURCE_NAMES:
            resource_id = getattr(data, name, None)
            if resource_id is not None:
                break
        return cls(
            account_id,
            str(event_type),
            contact_id if isinstance(contact_id, uuid.UUID) else None,
            resource_id if isinstance(resource_id, uuid.UUID) else None,
            at,
        )

    def as_wire(self) -> dict[str, str | None]:
        """The change as a live stream shows it (the API's camelCase names)."""
        return {
            "accountId": str(self.account_id),
            "contactId": None if self.contact_id is None else str(self.contact_id),
            "resourceId": None if self.resource_id is None else str(self.resource_id),
            "kind": self.kind,
            "at": format_timestamp(self.at),
        }


def _hex(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def _id(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(hex=value)


def _packed(change: Change) -> list[object]:
    micros = (change.at - _EPOCH) // _MICROSECOND
    return [
        change.account_id.hex,
        change.kind,
        _hex(change.contact_id),
        _hex(change.resource_id),
        micros,
    ]


def payload_prefix(origin: str) -> str:
    """How every payload of ``origin`` begins: a process skips its own without reading them."""
    return '{"o":' + orjson.dumps(origin).decode() + ',"c":['


def encode(origin: str, changes: Sequence[Change]) -> Iterator[str]:
    """Notification payloads carrying ``changes``, each under PostgreSQL's limit.

    ``{"o": origin, "c": [[account, kind, contact, resource, at µs], ...]}``, ids as
    32 hex digits: a process knows its own notifications by ``origin``.
    """
    head = payload_prefix(origin)
    parts: list[str] = []
    size = len(head) + 2
    for change in changes:
        part = orjson.dumps(_packed(change)).decode()
        if parts and size + len(part) + 1 > PAYLOAD_LIMIT:
            yield head + ",".join(parts) + "]}"
            parts, size = [], len(head) + 2
        parts.append(part)
        size += len(part) + 1
    if parts:
        yield head + ",".join(parts) + "]}"


def decode(payload: str) -> tuple[str, list[Change]]:
    """The origin and the changes of a payload :func:`encode` made."""
    body = orjson.loads(payload)
    changes = [
        Change(
            uuid.UUID(hex=account),
            kind,
            _id(contact),
            _id(resource),
            _EPOCH + micros * _MICROSECOND,
        )
        for account, kind, contact, resource, micros in body["c"]
    ]
    return str(body["o"]), changes
