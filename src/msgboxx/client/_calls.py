"""Every API call the SDK makes, built once for both clients.

Each function takes the call's arguments in Python's words and returns the
request in the wire's (see the API contract); ``Client`` and ``AsyncClient``
only send it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from msgboxx.client._policy import Call, body, query
from msgboxx.client._upload import FileUpload, Progress

Id = uuid.UUID | str


def apiaccounts_list() -> tuple[str, dict[str, object]]:
    return "/apiaccount", {}


def apiaccount_get(api_account_id: Id) -> Call:
    return Call("GET", f"/apiaccount/{api_account_id}")


def inboxes_list(*, api_account_id: Id | None) -> tuple[str, dict[str, object]]:
    return "/inboxes", query(apiAccountId=api_account_id)


def inbox_get(inbox_id: Id) -> Call:
    return Call("GET", f"/inbox/{inbox_id}")


# An attribute's value: text, or a number or true/false (kept as text); None removes it.
AttributeValue = str | int | float | bool | None


def contacts_list(
    *, api_account_id: Id | None, mobile_number: str | None, tags: Sequence[str] | None = None
) -> tuple[str, dict[str, object]]:
    where = query(apiAccountId=api_account_id, mobileNumber=mobile_number)
    if tags:
        where["tag"] = list(tags)
    return "/contact", where


def contact_get(contact_id: Id) -> Call:
    return Call("GET", f"/contact/{contact_id}")


def contact_create(
    *,
    api_account_id: Id,
    mobile_number: str,
    name: str | None,
    email: str | None,
    status: str | None,
    idempotency_key: str | None,
    tags: Sequence[str] | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Call:
    return Call(
        "POST",
        "/contact",
        json=body(
            apiAccountId=api_account_id,
            mobileNumber=mobile_number,
            name=name,
            email=email,
            status=status,
            tags=list(tags) if tags is not None else None,
            attributes=dict(attributes) if attributes is not None else None,
        ),
        idempotency_key=idempotency_key,
    )


def contact_update(
    contact_id: Id,
    *,
    name: str | None,
    email: str | None,
    status: str | None,
    tags: Sequence[str] | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Call:
    """Only what is given changes: ``tags`` replaces the set, ``attributes`` are merged."""
    changes = body(
        name=name,
        email=email,
        status=status,
        tags=list(tags) if tags is not None else None,
        attributes=dict(attributes) if attributes is not None else None,
    )
    return Call("PATCH", f"/contact/{contact_id}", json=changes)


def contacts_import(
    path: str | Path,
    *,
    api_account_id: Id,
    progress: Progress | None,
    idempotency_key: str | None,
    timeout: float,
) -> Call:
    upload = FileUpload(Path(path), fields={"apiAccountId": str(api_account_id)}, progress=progress)
    return Call(
        "POST",
        "/contact/import",
        idempotency_key=idempotency_key,
        headers=upload.headers,
        upload=upload,
        timeout=timeout,
    )


def contact_delete(contact_id: Id) -> Call:
    return Call("DELETE", f"/contact/{contact_id}")


def message_send(
    *,
    api_account_id: Id,
    contact_id: Id,
    message: str,
    send_at: datetime | None = None,
    idempotency_key: str | None,
) -> Call:
    return Call(
        "POST",
        "/message",
        json=body(
            apiAccountId=api_account_id, contactId=contact_id, message=message, sendAt=send_at
        ),
        idempotency_key=idempotency_key,
    )


def message_cancel(message_id: Id) -> Call:
    return Call("POST", f"/message/{message_id}/cancel")


def message_get(message_id: Id) -> Call:
    return Call("GET", f"/message/{message_id}")


def messages_list(
    *,
    api_account_id: Id | None,
    inbox_id: Id | None,
    contact_id: Id | None,
    conversation_id: Id | None,
    from_date: datetime | None,
    to_date: datetime | None,
    status: str | None,
    direction: str | None,
) -> tuple[str, dict[str, object]]:
    return "/message", query(
        apiAccountId=api_account_id,
        inboxId=inbox_id,
        contactId=contact_id,
        conversationId=conversation_id,
        fromDate=from_date,
        toDate=to_date,
        status=status,
        direction=direction,
    )


def templates_list(*, api_account_id: Id | None) -> tuple[str, dict[str, object]]:
    return "/template", query(apiAccountId=api_account_id)


def template_get(template_id: Id) -> Call:
    return Call("GET", f"/template/{template_id}")


def broadcast_send(
    *,
    api_account_id: Id,
    contact_id: Id,
    template_id: Id,
    message: str | None,
    parameters: Sequence[str] | None,
    send_at: datetime | None = None,
    idempotency_key: str | None,
) -> Call:
    return Call(
        "POST",
        "/broadcast",
        json=body(
            apiAccountId=api_account_id,
            contactId=contact_id,
            templateId=template_id,
            message=message,
            parameters=list(parameters) if parameters is not None else None,
            sendAt=send_at,
        ),
        idempotency_key=idempotency_key,
    )


def broadcast_get(broadcast_id: Id) -> Call:
    return Call("GET", f"/broadcast/{broadcast_id}")


def broadcasts_list(
    *, api_account_id: Id | None, inbox_id: Id | None, contact_id: Id | None
) -> tuple[str, dict[str, object]]:
    return "/broadcast", query(apiAccountId=api_account_id, inboxId=inbox_id, contactId=contact_id)


def webhook_subscribe(
    *,
    target_url: str,
    events: Sequence[str],
    api_account_id: Id | None,
    idempotency_key: str | None,
) -> Call:
    return Call(
        "POST",
        "/webhook",
        json=body(targetUrl=target_url, events=list(events), apiAccountId=api_account_id),
        idempotency_key=idempotency_key,
    )


def webhooks_list(*, api_account_id: Id | None) -> tuple[str, dict[str, object]]:
    return "/webhook", query(apiAccountId=api_account_id)


def webhook_get(webhook_id: Id) -> Call:
    return Call("GET", f"/webhook/{webhook_id}")


def webhook_delete(webhook_id: Id) -> Call:
    return Call("DELETE", f"/webhook/{webhook_id}")


def sandbox_inbound(*, from_number: str, to_number: str, text: str, name: str | None) -> Call:
    return Call(
        "POST",
        "/sandbox/inbound",
        json=body(**{"from": from_number, "to": to_number, "text": text, "name": name}),
    )
