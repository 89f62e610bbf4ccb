"""``/contact``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import Response

from msgboxx.contacts import service
from msgboxx.contacts.schemas import (
    ContactCreate,
    ContactOut,
    ContactUpdate,
    ImportFingerprint,
    ImportReport,
)
from msgboxx.core.errors import Unprocessable
from msgboxx.core.wire import Envelope, envelope
from msgboxx.web import openapi, uploads
from msgboxx.web.deps import (
    CurrentUser,
    FromDate,
    MediaStoreOf,
    Page,
    ReadUnitOfWork,
    UnitOfWork,
    settings,
)
from msgboxx.web.routing import AliasedRouter
from msgboxx.web.writes import commit_and_answer

router = AliasedRouter(singular="/contact", plural="/contacts", tags=["Contacts"])
IMPORT_PATH = "/contact/import"
# The routes whose body RequestContext passes through unread: the import streams its file.
STREAMED = frozenset(
    ("POST", path + slash) for path in (IMPORT_PATH, "/contacts/import") for slash in ("", "/")
)


@router.get("/contact", response_model=Envelope[ContactOut], operation_id="listContacts")
async def list_contacts(
    tx: UnitOfWork,
    user: CurrentUser,
    page: Page,
    fromDate: FromDate,
    apiAccountId: uuid.UUID | None = None,
    mobileNumber: str | None = None,
    tag: Annotated[
        list[str] | None,
        Query(description="Only contacts with this tag; repeated, only those with every one"),
    ] = None,
) -> Envelope[ContactOut]:
    rows, total = await service.list_contacts(
        tx,
        user,
        page,
        account_id=apiAccountId,
        mobile_number=mobileNumber,
        created_from=fromDate,
        tags=tag or (),
    )
    return envelope(await service.views(tx, rows), total=total, request=page)


@router.get("/contact/{contactId}", response_model=ContactOut, operation_id="getContact")
async def get_contact(contactId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> ContactOut:
    return await service.view(tx, await service.get(tx, user, contactId))


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
            tags=body.tags,
            attributes=body.attributes,
        )
        return ContactOut.of(contact, tags=sorted(body.tags))

    return await commit_and_answer(request, tx, user, payload=body, produce=produce)


@router.patch("/contact/{contactId}", response_model=ContactOut, operation_id="updateContact")
async def update_contact(
    contactId: uuid.UUID, body: ContactUpdate, tx: UnitOfWork, user: CurrentUser
) -> ContactOut:
    changes = body.model_dump(include=body.model_fields_set)
    if changes.get("status") is None:
        changes.pop("status", None)
    contact = await service.update(tx, user, contactId, changes)
    view = await service.view(tx, contact)
    await tx.commit()
    return view


@router.delete("/contact/{contactId}", status_code=204, operation_id="deleteContact")
async def delete_contact(
    contactId: uuid.UUID, tx: UnitOfWork, user: CurrentUser, media_store: MediaStoreOf
) -> Response:
    """Right to erasure: the contact, the text of its messages and its media go."""
    await service.erase(tx, user, contactId, media_store=media_store)
    await tx.commit()
    return Response(status_code=204)


_IMPORT_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "apiAccountId": {"type": "string", "format": "uuid"},
                },
            }
        }
    },
}


def _account_id(value: str | None) -> uuid.UUID:
    if not value:
        raise Unprocessable.for_field("apiAccountId", "is required, as a form field or query")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise Unprocessable.for_field("apiAccountId", "must be a UUID") from None


@router.post(
    IMPORT_PATH,
    response_model=ImportReport,
    operation_id="importContacts",
    openapi_extra={"requestBody": _IMPORT_BODY, openapi.IDEMPOTENT: True},
    responses={
        200: {"model": ImportReport},
        **openapi.problems(
            {
                400: "The multipart body is malformed",
                404: "apiAccountId is unknown or not visible to this user",
                413: "The file is over MSGBOXX_IMPORT_MAX_BYTES, or has more rows than"
                " MSGBOXX_IMPORT_MAX_ROWS",
                415: "The body is not multipart/form-data",
                422: "No file or apiAccountId; an empty file, one that is not UTF-8 CSV, or"
                " one whose header has no number column",
            }
        ),
    },
)
async def import_contacts(
    request: Request,
    tx: UnitOfWork,
    reader: ReadUnitOfWork,
    user: CurrentUser,
    apiAccountId: Annotated[str | None, Query(description="Or as a form field")] = None,
) -> Response:
    """Import contacts from a CSV file (``file``) into an API account (``apiAccountId``).

    A header row names the columns: a number column (``number``, ``phone``,
    ``mobile``, ``mobileNumber``, ``phone_number``, ``whatsapp``, ``msisdn``,
    any case), optionally ``name``, ``email``, ``tags`` (separated by ``;`` or
    ``|``) and ``status`` (a consent state); every other column is an
    attribute. Numbers in any usual form; national ones in the account's
    country. Each row creates a contact, updates the account's contact with
    that number (name and email when given, tags added, attributes merged), or
    is rejected with its line and why. One transaction: all of it or nothing.
    """
    limits = settings(request)
    async with uploads.spooled(
        request,
        field="file",
        max_bytes=limits.import_max_bytes,
        fields=frozenset({"apiAccountId"}),
    ) as upload:
        account_id = _account_id(apiAccountId or upload.fields.get("apiAccountId"))
        region = await service.import_region(reader, user, account_id)
        await reader.close()  # the reader goes back to the pool for the file's reading
        sheet = await service.read_import(
            upload.file, region=region, max_rows=limits.import_max_rows
        )
    fingerprint = ImportFingerprint(sha256=upload.sha256, apiAccountId=account_id)

    async def produce() -> ImportReport:
        return await service.import_contacts(tx, user, account_id=account_id, sheet=sheet)

    return await commit_and_answer(
        request, tx, user, payload=fingerprint, produce=produce, status_code=200
    )
