"""The inbox's changes (POST): each checks the session's CSRF token, calls one service.

A plain form is answered with a redirect back to its page (303); the page's
own script asks for JSON (``Accept``) and gets ``{"ok": true}`` or a problem.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Form, Request
from starlette.responses import Response

from msgboxx.broadcasts import service as broadcasts
from msgboxx.contacts import service as contacts
from msgboxx.contacts.status import ContactStatus
from msgboxx.conversations import service as conversations
from msgboxx.core.errors import Unprocessable
from msgboxx.messages import service as messages
from msgboxx.web.deps import MediaStoreOf
from msgboxx.web.routing import Router
from msgboxx.webapp import views
from msgboxx.webapp.rendering import PageRoute, done
from msgboxx.webapp.session import SignedIn

router = Router(route_class=PageRoute, include_in_schema=False)
_THREAD = "/app/inbox/{inbox_id}/c/{contact_id}"


@router.post(_THREAD + "/send")
async def send(
    request: Request,
    inbox_id: uuid.UUID,
    contact_id: uuid.UUID,
    agent: SignedIn,
    text: Annotated[str, Form(max_length=4096)],
) -> Response:
    """A session message, by the same rules as ``POST /message`` (the window among them)."""
    inbox, contact = await views.contact_in_inbox(
        agent.tx, agent.principal, inbox_id=inbox_id, contact_id=contact_id
    )
    if not text.strip():
        raise Unprocessable.for_field("text", "write a message first")
    sent = await messages.send_session(
        agent.tx,
        agent.principal,
        account_id=inbox.account_id,
        contact_id=contact.id,
        mobile_number=None,
        text=text,
        media=None,
        fetching=None,
    )
    await agent.tx.commit()
    back = _THREAD.format(inbox_id=inbox_id, contact_id=contact_id)
    return done(request, back, messageId=str(sent.messageId))


@router.post(_THREAD + "/template")
async def send_template(
    request: Request,
    inbox_id: uuid.UUID,
    contact_id: uuid.UUID,
    agent: SignedIn,
    template_id: Annotated[uuid.UUID, Form()],
) -> Response:
    """An approved template, filled in, sent as a broadcast (outside the window too)."""
    inbox, contact = await views.contact_in_inbox(
        agent.tx, agent.principal, inbox_id=inbox_id, contact_id=contact_id
    )
    form = await request.form()
    parameters: list[str] = []
    while isinstance(value := form.get(f"p{len(parameters) + 1}"), str):
        parameters.append(value)
    sent = await broadcasts.send(
        agent.tx,
        agent.principal,
        account_id=inbox.account_id,
        contact_id=contact.id,
        template_id=template_id,
        message=None,
        parameters=parameters,
    )
    await agent.tx.commit()
    back = _THREAD.format(inbox_id=inbox_id, contact_id=contact_id)
    return done(request, back, broadcastId=str(sent.broadcastId))


@router.post(_THREAD + "/contact")
async def rename(
    request: Request,
    inbox_id: uuid.UUID,
    contact_id: uuid.UUID,
    agent: SignedIn,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    await views.contact_in_inbox(
        agent.tx, agent.principal, inbox_id=inbox_id, contact_id=contact_id
    )
    await contacts.update(agent.tx, agent.principal, contact_id, {"name": name.strip() or None})
    await agent.tx.commit()
    return done(request, _THREAD.format(inbox_id=inbox_id, contact_id=contact_id))


@router.post(_THREAD + "/consent")
async def consent(
    request: Request,
    inbox_id: uuid.UUID,
    contact_id: uuid.UUID,
    agent: SignedIn,
    status: Annotated[ContactStatus, Form()],
) -> Response:
    """Opt out or in on the customer's word, as ``PATCH /contact/{id}`` would."""
    await views.contact_in_inbox(
        agent.tx, agent.principal, inbox_id=inbox_id, contact_id=contact_id
    )
    await contacts.update(agent.tx, agent.principal, contact_id, {"status": status})
    await agent.tx.commit()
    return done(request, _THREAD.format(inbox_id=inbox_id, contact_id=contact_id))


@router.post(_THREAD + "/erase")
async def erase(
    request: Request,
    inbox_id: uuid.UUID,
    contact_id: uuid.UUID,
    agent: SignedIn,
    media_store: MediaStoreOf,
    confirm: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Right to erasure, as ``DELETE /contact/{id}``; the form asks for a typed confirmation."""
    if confirm.strip().lower() != "erase":
        raise Unprocessable.for_field("confirm", "type ERASE to confirm")
    await views.contact_in_inbox(
        agent.tx, agent.principal, inbox_id=inbox_id, contact_id=contact_id
    )
    await contacts.erase(agent.tx, agent.principal, contact_id, media_store=media_store)
    await agent.tx.commit()
    return done(request, f"/app/inbox/{inbox_id}")


async def _in_inbox(agent: SignedIn, inbox_id: uuid.UUID, contact_id: uuid.UUID) -> None:
    await views.contact_in_inbox(
        agent.tx, agent.principal, inbox_id=inbox_id, contact_id=contact_id
    )


@router.post(_THREAD + "/read")
async def mark_read(
    request: Request, inbox_id: uuid.UUID, contact_id: uuid.UUID, agent: SignedIn
) -> Response:
    await _in_inbox(agent, inbox_id, contact_id)
    await conversations.mark_read(agent.tx, agent.principal, contact_id=contact_id)
    await agent.tx.commit()
    return done(request, f"/app/inbox/{inbox_id}")


@router.post(_THREAD + "/assign")
async def assign(
    request: Request,
    inbox_id: uuid.UUID,
    contact_id: uuid.UUID,
    agent: SignedIn,
    assignee: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """To a colleague (``me`` for oneself), or, empty, back to the inbox's queue."""
    await _in_inbox(agent, inbox_id, contact_id)
    if assignee == "me":
        chosen: uuid.UUID | None = agent.principal.user_id
    elif assignee:
        try:
            chosen = uuid.UUID(assignee)
        except ValueError as exc:
            raise Unprocessable.for_field("assignee", "choose someone from the list") from exc
    else:
        chosen = None
    await conversations.assign(agent.tx, agent.principal, contact_id=contact_id, assignee_id=chosen)
    await agent.tx.commit()
    return done(request, _THREAD.format(inbox_id=inbox_id, contact_id=contact_id))


@router.post(_THREAD + "/resolve")
async def resolve(
    request: Request, inbox_id: uuid.UUID, contact_id: uuid.UUID, agent: SignedIn
) -> Response:
    await _in_inbox(agent, inbox_id, contact_id)
    await conversations.resolve(agent.tx, agent.principal, contact_id=contact_id)
    await agent.tx.commit()
    return done(request, _THREAD.format(inbox_id=inbox_id, contact_id=contact_id))


@router.post(_THREAD + "/reopen")
async def reopen(
    request: Request, inbox_id: uuid.UUID, contact_id: uuid.UUID, agent: SignedIn
) -> Response:
    await _in_inbox(agent, inbox_id, contact_id)
    await conversations.reopen(agent.tx, agent.principal, contact_id=contact_id)
    await agent.tx.commit()
    return done(request, _THREAD.format(inbox_id=inbox_id, contact_id=contact_id))


@router.post(_THREAD + "/notes")
async def add_note(
    request: Request,
    inbox_id: uuid.UUID,
    contact_id: uuid.UUID,
    agent: SignedIn,
    body: Annotated[str, Form(max_length=4096)],
) -> Response:
    """A private note: shown in the thread to agents, never sent."""
    await _in_inbox(agent, inbox_id, contact_id)
    await conversations.add_note(agent.tx, agent.principal, contact_id=contact_id, body=body)
    await agent.tx.commit()
    return done(request, _THREAD.format(inbox_id=inbox_id, contact_id=contact_id))


@router.post("/app/inbox/{inbox_id}/contacts")
async def new_contact(
    request: Request,
    inbox_id: uuid.UUID,
    agent: SignedIn,
    number: Annotated[str, Form(max_length=40)],
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A new contact of the inbox's account; its page offers a template to start with."""
    inbox = await views.inbox_of_account(agent.tx, agent.principal, inbox_id)
    contact = await contacts.create(
        agent.tx,
        agent.principal,
        account_id=inbox.account_id,
        mobile_number=number,
        name=name.strip() or None,
        status=ContactStatus.subscribed,
        email=None,
    )
    await agent.tx.commit()
    back = _THREAD.format(inbox_id=inbox_id, contact_id=contact.id)
    return done(request, back, contactId=str(contact.id))
