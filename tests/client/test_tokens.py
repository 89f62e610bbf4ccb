"""Signing in, and signing in again when the server says the token has run out."""

from __future__ import annotations

import uuid

import pytest

from msgboxx.auth import tokens
from msgboxx.client import AsyncClient, AuthenticationError
from tests.client.proxy import FaultyProxy
from tests.support import PASSWORD, Tenant


async def expired_token(tenant: Tenant) -> str:
    async with tenant.server.db.tx(write=False) as tx:
        from msgboxx.auth import service as auth

        user = await auth.get_user_by_email(tx, email=tenant.admin_email)
        assert user is not None
    key = tenant.server.app.state.settings.signing_key
    return tokens.issue(user_id=user.id, key=key, ttl_seconds=-120).token


async def test_client__signs_in_again_when_the_token_has_expired(
    tenant: Tenant, proxy: FaultyProxy
) -> None:
    stale = await expired_token(tenant)
    async with AsyncClient(
        proxy.url, username=tenant.admin_email, password=PASSWORD, token=stale
    ) as client:
        accounts = [a async for a in client.apiaccounts.list()]
        assert [str(a.api_account_id) for a in accounts] == [tenant.account_id]
        assert client.token not in (None, stale)
    statuses = [(s.method, s.target.split("?")[0], s.status) for s in proxy.seen]
    assert statuses == [
        ("GET", "/apiaccount", 401),
        ("POST", "/oauth/token", 200),
        ("GET", "/apiaccount", 200),
    ]


async def test_client__signs_in_once_for_many_calls(tenant: Tenant, proxy: FaultyProxy) -> None:
    async with AsyncClient(proxy.url, username=tenant.admin_email, password=PASSWORD) as client:
        for _ in range(3):
            await client.apiaccounts.get(tenant.account_id)
    assert len(proxy.requests("POST", "/oauth/token")) == 1


async def test_client__wrong_password_is_an_authentication_error(tenant: Tenant) -> None:
    async with AsyncClient(
        tenant.server.base_url, username=tenant.admin_email, password="wrong-password"
    ) as client:
        with pytest.raises(AuthenticationError) as failed:
            await client.messages.get(uuid.uuid4())
    assert failed.value.status == 401


async def test_client__an_expired_token_without_credentials_is_an_error(tenant: Tenant) -> None:
    async with AsyncClient(tenant.server.base_url, token=await expired_token(tenant)) as client:
        with pytest.raises(AuthenticationError):
            await client.apiaccounts.get(tenant.account_id)
