"""Wire shapes of contacts (``datetime`` spelled as the original did)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, ConfigDict, EmailStr, Field, WithJsonSchema

from msgboxx.contacts import segments
from msgboxx.contacts.models import Contact
from msgboxx.contacts.status import ContactStatus
from msgboxx.core.wire import ApiModel, Timestamp

# A contact's tags as sent: each trimmed and lower-cased, one set (segments.clean_tags).
Tags = Annotated[list[str], AfterValidator(segments.clean_tags)]


def _attribute_changes(value: object) -> object:
    """A JSON object's values as stored; anything else is left for the type's own error."""
    return segments.clean_attributes(value) if isinstance(value, dict) else value


# Changes to a contact's attributes: text (or a number or true/false, kept as text) sets
# a key, null removes it (segments.clean_attributes). The document says what is accepted.
AttributeChanges = Annotated[
    dict[str, str | None],
    BeforeValidator(_attribute_changes),
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": segments.MAX_ATTRIBUTES,
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        }
    ),
]


class ContactOut(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contactId": "17b5c90a-7465-1097-b2db-66afa62c963f",
                    "mobileNumber": "+447902111123",
                    "name": "Test Customer",
                    "status": "Subscribed",
                    "email": "customer@somewhere.com",
                    "apiAccountId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "datetime": "2022-07-05T20:09:58.341Z",
                    "tags": ["newsletter", "vip"],
                    "attributes": {"city": "Leeds", "order": "A-1017"},
                }
            ]
        }
    )

    contactId: uuid.UUID
    # Null only for a customer known by their WhatsApp user id alone.
    mobileNumber: str | None
    name: str | None
    status: ContactStatus
    email: str | None
    apiAccountId: uuid.UUID
    datetime: Timestamp
    # Extension: the business-scoped WhatsApp user id (``US.1234``); left out of
    # the body when unknown, so contacts look exactly as documented until then.
    whatsappUserId: str | None = Field(default=None, exclude_if=lambda value: value is None)
    # Extensions: the contact's tags (alphabetical) and the business's own fields.
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, contact: Contact, *, tags: Sequence[str] = ()) -> ContactOut:
        """The view of ``contact``; its tags are another table's, read by the service."""
        return cls(
            contactId=contact.id,
            mobileNumber=contact.mobile_number,
            name=contact.name,
            status=ContactStatus(contact.status),
            email=contact.email,
            apiAccountId=contact.account_id,
            datetime=contact.created_at,
            whatsappUserId=contact.whatsapp_user_id,
            tags=list(tags),
            attributes=contact.attributes or {},
        )


class ContactCreate(ApiModel):
    mobileNumber: str = Field(min_length=1, max_length=40)
    apiAccountId: uuid.UUID
    name: str | None = Field(default=None, max_length=200)
    status: ContactStatus = ContactStatus.subscribed
    email: EmailStr | None = None
    tags: Tags = Field(default_factory=list)
    attributes: AttributeChanges = Field(default_factory=dict)


class ContactUpdate(ApiModel):
    """Only the fields sent change; ``null`` clears a name or email (and every tag or attribute).

    ``tags`` replaces the contact's set; ``attributes`` is merged into the ones it has.
    """

    name: str | None = Field(default=None, max_length=200)
    status: ContactStatus | None = None
    email: EmailStr | None = None
    tags: Tags | None = None
    attributes: AttributeChanges | None = None


class ImportFingerprint(ApiModel):
    """What makes two imports the same request, for ``Idempotency-Key``: the file and account."""

    sha256: str
    apiAccountId: uuid.UUID


class ImportSummary(ApiModel):
    """What an import did: every data row of the file is created, updated or rejected."""

    apiAccountId: uuid.UUID
    rows: int
    created: int
    updated: int
    rejected: int


class ImportProblem(ApiModel):
    """A rejected row: its line in the file (the header is line 1), its number as written."""

    line: int
    number: str | None
    reason: str


class ImportReport(ImportSummary):
    """The answer to ``POST /contact/import``: the summary and the rejected rows.

    ``errors`` lists the first rejections by line; ``errorsOmitted`` counts the rest.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "apiAccountId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "rows": 4,
                    "created": 2,
                    "updated": 1,
                    "rejected": 1,
                    "errors": [{"line": 4, "number": "12345", "reason": "invalid number '12345'"}],
                    "errorsOmitted": 0,
                }
            ]
        }
    )

    errors: list[ImportProblem]
    errorsOmitted: int
