"""``/contact``."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from msgboxx.contacts import service
from msgboxx.contacts.schemas import ContactCreate, ContactOut, ContactUpdate
from msgboxx.core.wire import Envelope, envelope
from msgboxx.web import openapi
from msgboxx.web.deps import CurrentUser, FromDate, MediaStoreOf, Page, UnitOfWork
from msgboxx.web.routing import AliasedRouter
from msgboxx.web.writes import commit_and_answer

router = AliasedRouter(singular="/contact", plural="/contacts", tags=["Contacts"])


@router.get("/contact", response_model=Envelope[ContactOut], operation_id="listContacts")
async def list_contacts(
    tx: UnitOfWork,
    user: CurrentUser,
    page: Page,
    fromDate: FromDate,
    apiAccountId: uuid.UUID | None = None,
    mobileNumber: str | None = None,
) -> Envelope[ContactOut]:
    rows, total = await service.list_contacts(
        tx,
        user,
        page,
        account_id=apiAccountId,
        mobile_number=mobileNumber,
        created_from=fromDate,
    )
    return envelope([ContactOut.of(c) for c in rows], total=total, request=page)


@router.get("/contact/{contactId}", response_model=ContactOut, operation_id="getContact")
async def get_contact(contactId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> ContactOut:
    return ContactOut.of(await service.get(tx, user, contactId))


@router.post(
    "/contact",
    status_code=201,
    response_model=ContactOut,
    operation_id="createContact",
    responses={
        201: {"model": ContactOut},
        **openapi.problems(
            {
                409: "The account already has a contact with this number; "
                "the body names its contactId",
                422: "Invalid fields, or a mobile number that is not a phone number",
            }
        ),
    },
)
async def create_contact(
    body: ContactCreate, request: Request, tx: UnitOfWork, user: CurrentUser
) -> Response:
    async def produce() -> ContactOut:
        contact = await service.create(
            tx,
            user,
            account_id=body.apiAccountId,
            mobile_number=body.mobileNumber,
            name=body.name,
            status=body.status,
            email=body.email,
        )
        return ContactOut.of(contact)

    return await commit_and_answer(request, tx, user, payload=body, produce=produce)


@router.patch("/contact/{contactId}", response_model=ContactOut, operation_id="updateContact")
async def update_contact(
    contactId: uuid.UUID, body: ContactUpdate, tx: UnitOfWork, user: CurrentUser
) -> ContactOut:
    changes = body.model_dump(include=body.model_fields_set)
    if changes.get("status") is None:
        changes.pop("status", None)
    contact = await service.update(tx, user, contactId, changes)
    await tx.commit()
    return ContactOut.of(contact)


@router.delete("/contact/{contactId}", status_code=204, operation_id="deleteContact")
async def delete_contact(
    contactId: uuid.UUID, tx: UnitOfWork, user: CurrentUser, media_store: MediaStoreOf
) -> Response:
    """Right to erasure: the contact, the text of its messages and its media go."""
    await service.erase(tx, user, contactId, media_store=media_store)
    await tx.commit()
    return Response(status_code=204)
