"""Wire shapes of contacts (``datetime`` spelled as the original did)."""

from __future__ import annotations

import uuid

from pydantic import ConfigDict, EmailStr, Field

from msgboxx.contacts.models import Contact
from msgboxx.contacts.status import ContactStatus
from msgboxx.core.wire import ApiModel, Timestamp


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

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        return cls(
            contactId=contact.id,
            mobileNumber=contact.mobile_number,
            name=contact.name,
            status=ContactStatus(contact.status),
            email=contact.email,
            apiAccountId=contact.account_id,
            datetime=contact.created_at,
            whatsappUserId=contact.whatsapp_user_id,
        )


class ContactCreate(ApiModel):
    mobileNumber: str = Field(min_length=1, max_length=40)
    apiAccountId: uuid.UUID
    name: str | None = Field(default=None, max_length=200)
    status: ContactStatus = ContactStatus.subscribed
    email: EmailStr | None = None


class ContactUpdate(ApiModel):
    name: str | None = Field(default=None, max_length=200)
    status: ContactStatus | None = None
    email: EmailStr | None = None
