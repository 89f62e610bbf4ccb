"""``Client``: the API from ordinary (blocking) Python code."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import TypeVar

import httpx
from httpx._client import USE_CLIENT_DEFAULT
from pydantic import BaseModel

from msgboxx.client import _calls as calls
from msgboxx.client._contacts import Contacts
from msgboxx.client._exceptions import ConnectionFailed, error_for
from msgboxx.client._policy import (
    RETRYABLE_STATUSES,
    TOKEN_PATH,
    Call,
    Credentials,
    RetryPolicy,
)
from msgboxx.client.models import (
    ApiAccount,
    Broadcast,
    Inbox,
    Message,
    Page,
    Template,
    Webhook,
    WebhookCreated,
)

M = TypeVar("M", bound=BaseModel)
Id = uuid.UUID | str
DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_PAGE_SIZE = 100


class Client:
    """A signed-in connection to one msgboxx server.

    Give ``username`` and ``password`` (the client signs in when needed, and
    again when the token runs out or a 401 says it has), or a ``token``. Every
    POST carries an ``Idempotency-Key``, the same on each retry, so retrying
    on a 429, a 5xx or a broken connection never sends anything twice.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._credentials = Credentials(username=username, password=password, token=token)
        self._retry = retry or RetryPolicy()
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)
        self.apiaccounts = ApiAccounts(self)
        self.inboxes = Inboxes(self)
        self.contacts = Contacts(self)
        self.messages = Messages(self)
        self.templates = Templates(self)
        self.broadcasts = Broadcasts(self)
        self.webhooks = Webhooks(self)
        self.sandbox = Sandbox(self)

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    @property
    def token(self) -> str | None:
        """The current access token (None until the first call or ``login``)."""
        return self._credentials.token

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def login(self) -> None:
        """Exchange the username and password for a token (done for you when needed)."""
        response = self._send(Call("POST", TOKEN_PATH, json=self._credentials.login_body()))
        self._credentials.accept(response)

    def request(self, call: Call) -> httpx.Response:
        """Send one call, signed in, retried as the policy says; raise on an error answer."""
        call = call.with_key()
        signed_in_again = False
        while True:
            if self._credentials.needs_sign_in():
                self.login()
            headers = {**call.headers, "Authorization": f"Bearer {self._credentials.token}"}
            response = self._send(call, headers)
            if (
                response.status_code == 401
                and self._credentials.can_sign_in
                and not signed_in_again
            ):
                signed_in_again = True
                self._credentials.token = None
                continue
            if response.is_error:
                raise error_for(response)
            return response

    def _send(self, call: Call, headers: dict[str, str] | None = None) -> httpx.Response:
        """One call, retried on connection errors and retryable answers."""
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method,
                    call.path,
                    params=call.params,
                    json=call.json,
                    content=call.upload.chunks() if call.upload else None,
                    headers=headers or call.headers,
                    timeout=USE_CLIENT_DEFAULT if call.timeout is None else call.timeout,
                )
            except httpx.TransportError as exc:
                wait = self._retry.delay(attempt, None)
                if wait is None:
                    raise ConnectionFailed(f"{call.method} {call.path}: {exc}") from exc
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    return response
                wait = self._retry.delay(attempt, response)
                if wait is None:
                    return response
            time.sleep(wait)
            attempt += 1

    def _one(self, model: type[M], call: Call) -> M:
        return model.model_validate(self.request(call).json())

    def _pages(
        self, model: type[M], where: tuple[str, dict[str, object]], page_size: int
    ) -> Iterator[M]:
        path, params = where
        page = 1
        while True:
            call = Call("GET", path, params={**params, "page": page, "pageSize": page_size})
            found = Page[model].model_validate(self.request(call).json())  # type: ignore[valid-type]
            yield from found.items
            count = found.paging.page_count
            if not found.items or (count is not None and page >= count):
                return
            page += 1


class _Resource:
    def __init__(self, client: Client) -> None:
        self._client = client


class ApiAccounts(_Resource):
    def list(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[ApiAccount]:
        return self._client._pages(ApiAccount, calls.apiaccounts_list(), page_size)

    def get(self, api_account_id: Id) -> ApiAccount:
        # The original API answers with an envelope holding the one account.
        found = self._client._one(Page[ApiAccount], calls.apiaccount_get(api_account_id))
        return found.items[0]


class Inboxes(_Resource):
    def list(
        self, *, api_account_id: Id | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Inbox]:
        return self._client._pages(
            Inbox, calls.inboxes_list(api_account_id=api_account_id), page_size
        )

    def get(self, inbox_id: Id) -> Inbox:
        return self._client._one(Inbox, calls.inbox_get(inbox_id))


class Messages(_Resource):
    def send(
        self,
        *,
        api_account_id: Id,
        contact_id: Id,
        message: str,
        send_at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Message:
        """Send a session message (inside the contact's 24-hour window); normally Pending.

        ``send_at`` schedules it (a naive time is UTC); it fails then if the window has closed.
        """
        call = calls.message_send(
            api_account_id=api_account_id,
            contact_id=contact_id,
            message=message,
            send_at=send_at,
            idempotency_key=idempotency_key,
        )
        return self._client._one(Message, call)

    def cancel(self, message_id: Id) -> Message:
        """Cancel a scheduled message not yet sent: it becomes Failed, reason "cancelled"."""
        return self._client._one(Message, calls.message_cancel(message_id))

    def get(self, message_id: Id) -> Message:
        return self._client._one(Message, calls.message_get(message_id))

    def list(
        self,
        *,
        api_account_id: Id | None = None,
        inbox_id: Id | None = None,
        contact_id: Id | None = None,
        conversation_id: Id | None = None,
        from_date: datetime | None = None,
        to_date: datetime | None = None,
        status: str | None = None,
        direction: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Message]:
        """Newest first; with neither date given, the server returns the last 24 hours."""
        where = calls.messages_list(
            api_account_id=api_account_id,
            inbox_id=inbox_id,
            contact_id=contact_id,
            conversation_id=conversation_id,
            from_date=from_date,
            to_date=to_date,
            status=status,
            direction=direction,
        )
        return self._client._pages(Message, where, page_size)


class Templates(_Resource):
    def list(
        self, *, api_account_id: Id | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Template]:
        where = calls.templates_list(api_account_id=api_account_id)
        return self._client._pages(Template, where, page_size)

    def get(self, template_id: Id) -> Template:
        return self._client._one(Template, calls.template_get(template_id))


class Broadcasts(_Resource):
    def send(
        self,
        *,
        api_account_id: Id,
        contact_id: Id,
        template_id: Id,
        parameters: Sequence[str] | None = None,
        message: str | None = None,
        send_at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Broadcast:
        """An approved template filled in by ``parameters`` (or ``message``); ``send_at``: later."""
        call = calls.broadcast_send(
            api_account_id=api_account_id,
            contact_id=contact_id,
            template_id=template_id,
            message=message,
            parameters=parameters,
            send_at=send_at,
            idempotency_key=idempotency_key,
        )
        return self._client._one(Broadcast, call)

    def get(self, broadcast_id: Id) -> Broadcast:
        return self._client._one(Broadcast, calls.broadcast_get(broadcast_id))

    def list(
        self,
        *,
        api_account_id: Id | None = None,
        inbox_id: Id | None = None,
        contact_id: Id | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Broadcast]:
        where = calls.broadcasts_list(
            api_account_id=api_account_id, inbox_id=inbox_id, contact_id=contact_id
        )
        return self._client._pages(Broadcast, where, page_size)


class Webhooks(_Resource):
    def subscribe(
        self,
        *,
        target_url: str,
        events: Sequence[str],
        api_account_id: Id | None = None,
        idempotency_key: str | None = None,
    ) -> WebhookCreated:
        """Subscribe a URL; keep the answer's ``secret`` to verify deliveries."""
        call = calls.webhook_subscribe(
            target_url=target_url,
            events=events,
            api_account_id=api_account_id,
            idempotency_key=idempotency_key,
        )
        return self._client._one(WebhookCreated, call)

    def list(
        self, *, api_account_id: Id | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Webhook]:
        where = calls.webhooks_list(api_account_id=api_account_id)
        return self._client._pages(Webhook, where, page_size)

    def get(self, webhook_id: Id) -> Webhook:
        return self._client._one(Webhook, calls.webhook_get(webhook_id))

    def delete(self, webhook_id: Id) -> None:
        """Unsubscribe; undelivered events of the subscription are dropped."""
        self._client.request(calls.webhook_delete(webhook_id))


class Sandbox(_Resource):
    def inbound(
        self, *, from_number: str, to_number: str, text: str, name: str | None = None
    ) -> Message:
        """Make a customer's message arrive on a sandbox number, as a real one would."""
        call = calls.sandbox_inbound(
            from_number=from_number, to_number=to_number, text=text, name=name
        )
        return self._client._one(Message, call)
