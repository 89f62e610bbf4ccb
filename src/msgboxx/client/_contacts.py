"""``client.contacts`` for both clients: the same calls (``_calls``), sent and awaited or not."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from msgboxx.client import _calls as calls
from msgboxx.client._calls import AttributeValue
from msgboxx.client._upload import Progress
from msgboxx.client.models import Contact, ImportReport

if TYPE_CHECKING:
    from msgboxx.client._async import AsyncClient
    from msgboxx.client._sync import Client

Id = uuid.UUID | str
DEFAULT_PAGE_SIZE = 100
# An import of 100,000 rows answers in well under a minute; a slow server gets ten.
IMPORT_TIMEOUT = 600.0


class Contacts:
    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self,
        *,
        api_account_id: Id | None = None,
        mobile_number: str | None = None,
        tags: Sequence[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Contact]:
        """Newest first; with ``tags``, only the contacts carrying every one of them."""
        where = calls.contacts_list(
            api_account_id=api_account_id, mobile_number=mobile_number, tags=tags
        )
        return self._client._pages(Contact, where, page_size)

    def find(self, *, api_account_id: Id, mobile_number: str) -> Contact | None:
        """The account's contact with this number (in any usual form), if there is one."""
        return next(
            iter(self.list(api_account_id=api_account_id, mobile_number=mobile_number)), None
        )

    def get(self, contact_id: Id) -> Contact:
        return self._client._one(Contact, calls.contact_get(contact_id))

    def create(
        self,
        *,
        api_account_id: Id,
        mobile_number: str,
        name: str | None = None,
        email: str | None = None,
        status: str | None = None,
        tags: Sequence[str] | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
        idempotency_key: str | None = None,
    ) -> Contact:
        call = calls.contact_create(
            api_account_id=api_account_id,
            mobile_number=mobile_number,
            name=name,
            email=email,
            status=status,
            tags=tags,
            attributes=attributes,
            idempotency_key=idempotency_key,
        )
        return self._client._one(Contact, call)

    def update(
        self,
        contact_id: Id,
        *,
        name: str | None = None,
        email: str | None = None,
        status: str | None = None,
        tags: Sequence[str] | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> Contact:
        """Change what is given: ``tags`` replaces the set, ``attributes`` merge (None removes)."""
        call = calls.contact_update(
            contact_id, name=name, email=email, status=status, tags=tags, attributes=attributes
        )
        return self._client._one(Contact, call)

    def delete(self, contact_id: Id) -> None:
        self._client.request(calls.contact_delete(contact_id))

    def import_csv(
        self,
        path: str | Path,
        *,
        api_account_id: Id,
        progress: Progress | None = None,
        idempotency_key: str | None = None,
        timeout_seconds: float = IMPORT_TIMEOUT,
    ) -> ImportReport:
        """Import a CSV file of contacts; the report says what became of every row.

        ``progress(sent, total)`` is called as the file's bytes go out. A retry
        sends the file again under the same Idempotency-Key, so it is imported once;
        ``timeout_seconds`` is how long the answer (written after the whole file) may take.
        """
        call = calls.contacts_import(
            path,
            api_account_id=api_account_id,
            progress=progress,
            idempotency_key=idempotency_key,
            timeout=timeout_seconds,
        )
        return self._client._one(ImportReport, call)


class AsyncContacts:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def list(
        self,
        *,
        api_account_id: Id | None = None,
        mobile_number: str | None = None,
        tags: Sequence[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Contact]:
        """Newest first; with ``tags``, only the contacts carrying every one of them."""
        where = calls.contacts_list(
            api_account_id=api_account_id, mobile_number=mobile_number, tags=tags
        )
        return self._client._pages(Contact, where, page_size)

    async def find(self, *, api_account_id: Id, mobile_number: str) -> Contact | None:
        """The account's contact with this number (in any usual form), if there is one."""
        async for contact in self.list(api_account_id=api_account_id, mobile_number=mobile_number):
            return contact
        return None

    async def get(self, contact_id: Id) -> Contact:
        return await self._client._one(Contact, calls.contact_get(contact_id))

    async def create(
        self,
        *,
        api_account_id: Id,
        mobile_number: str,
        name: str | None = None,
        email: str | None = None,
        status: str | None = None,
        tags: Sequence[str] | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
        idempotency_key: str | None = None,
    ) -> Contact:
        call = calls.contact_create(
            api_account_id=api_account_id,
            mobile_number=mobile_number,
            name=name,
            email=email,
            status=status,
            tags=tags,
            attributes=attributes,
            idempotency_key=idempotency_key,
        )
        return await self._client._one(Contact, call)

    async def update(
        self,
        contact_id: Id,
        *,
        name: str | None = None,
        email: str | None = None,
        status: str | None = None,
        tags: Sequence[str] | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> Contact:
        """Change what is given: ``tags`` replaces the set, ``attributes`` merge (None removes)."""
        call = calls.contact_update(
            contact_id, name=name, email=email, status=status, tags=tags, attributes=attributes
        )
        return await self._client._one(Contact, call)

    async def delete(self, contact_id: Id) -> None:
        await self._client.request(calls.contact_delete(contact_id))

    async def import_csv(
        self,
        path: str | Path,
        *,
        api_account_id: Id,
        progress: Progress | None = None,
        idempotency_key: str | None = None,
        timeout_seconds: float = IMPORT_TIMEOUT,
    ) -> ImportReport:
        """Import a CSV file of contacts; the report says what became of every row.

        ``progress(sent, total)`` is called as the file's bytes go out. A retry
        sends the file again under the same Idempotency-Key, so it is imported once;
        ``timeout_seconds`` is how long the answer (written after the whole file) may take.
        """
        call = calls.contacts_import(
            path,
            api_account_id=api_account_id,
            progress=progress,
            idempotency_key=idempotency_key,
            timeout=timeout_seconds,
        )
        return await self._client._one(ImportReport, call)
