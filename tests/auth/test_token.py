"""POST /oauth/token and the bearer token every other endpoint needs."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import select

from msgboxx.auth import ratelimit
from msgboxx.auth.models import User
from tests.support import (
    PASSWORD,
    Server,
    Tenant,
    assert_problem,
    new_tenant,
    own_settings,
    running,
    test_settings,
)

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_token__json_credentials_give_a_bearer_token(server: Server, tenant: Tenant) -> None:
    async with server.client() as client:
        reply = await client.post(
            "/oauth/token", json={"username": tenant.admin_email, "password": PASSWORD}
        )
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"]
    assert TIMESTAMP.match(body["expires_at"])
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    async with server.client(body["access_token"]) as client:
        assert (await client.get("/apiaccount")).status_code == 200


async def test_token__oauth2_password_form_is_accepted(server: Server, tenant: Tenant) -> None:
    async with server.client() as client:
        reply = await client.post(
            "/oauth/token",
            data={"grant_type": "password", "username": tenant.admin_email, "password": PASSWORD},
        )
        assert reply.status_code == 200, reply.text
        wrong_grant = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "username": "a", "password": "b"},
        )
    assert_problem(wrong_grant, 422)


async def test_token__wrong_password_and_unknown_user_are_the_same_401(
    server: Server, tenant: Tenant
) -> None:
    async with server.client() as client:
        wrong = await client.post(
            "/oauth/token", json={"username": tenant.admin_email, "password": "not it at all"}
        )
        unknown = await client.post(
            "/oauth/token", json={"username": "nobody@example.com", "password": "not it at all"}
        )
    assert assert_problem(wrong, 401)["detail"] == assert_problem(unknown, 401)["detail"]


async def test_token__bad_bodies_are_400_or_422(server: Server) -> None:
    async with server.client() as client:
        malformed = await client.post(
            "/oauth/token", content=b"{oops", headers={"Content-Type": "application/json"}
        )
        missing = await client.post("/oauth/token", json={"username": "a"})
        wrong_type = await client.post("/oauth/token", json=["a", "b"])
    assert_problem(malformed, 400)
    assert_problem(missing, 422)
    assert_problem(wrong_type, 422)


async def test_token__failed_attempts_are_limited_per_username(data_dir: Path) -> None:
    settings = test_settings(data_dir, login_attempts_per_minute=3)
    async with running(settings) as live:
        tenant_email = "limited@example.com"
        from tests.support import new_tenant

        tenant = await new_tenant(live)
        tenant_email = tenant.admin_email
        await _in_one_window()
        async with live.client() as client:
            for _ in range(3):
                reply = await client.post(
                    "/oauth/token", json={"username": tenant_email, "password": "wrong-password"}
                )
                assert reply.status_code == 401
            blocked = await client.post(
                "/oauth/token", json={"username": tenant_email, "password": PASSWORD}
            )
            body = assert_problem(blocked, 429)
            assert 1 <= int(blocked.headers["Retry-After"]) <= 61
            assert "too many" in body["detail"]
        await tenant.api.aclose()


async def _in_one_window() -> None:
    """Failures are counted per minute: start where a test's attempts share one."""
    left = ratelimit.WINDOW_SECONDS - time.time() % ratelimit.WINDOW_SECONDS
    if left < 15:
        await asyncio.sleep(left + 0.1)


def _client_from(live: Server, address: str) -> httpx.AsyncClient:
    """A client whose connections come from ``address`` (any of 127.0.0.0/8 is local)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=live.base_url, transport=transport, timeout=30)


async def _sign_in(
    client: httpx.AsyncClient, username: str, password: str, *, forwarded_for: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return await client.post(
        "/oauth/token", json={"username": username, "password": password}, headers=headers
    )


async def test_token__wrong_passwords_from_elsewhere_do_not_lock_the_user_out(
    data_dir: Path,
) -> None:
    settings = await own_settings(
        data_dir, database="msgboxx_test_lockout", login_attempts_per_minute=3
    )
    async with running(settings) as live:
        tenant = await new_tenant(live)
        await _in_one_window()
        async with _client_from(live, "127.0.0.2") as attacker, live.client() as user:
            for _ in range(5):
                await _sign_in(attacker, tenant.admin_email, "wrong-password")
            assert_problem(await _sign_in(attacker, tenant.admin_email, PASSWORD), 429)
            reply = await _sign_in(user, tenant.admin_email, PASSWORD)
            assert reply.status_code == 200, reply.text
        await tenant.api.aclose()


async def test_token__x_forwarded_for_from_an_untrusted_peer_is_ignored(data_dir: Path) -> None:
    """By default no peer is a proxy: a client cannot pick the address it is counted as."""
    settings = await own_settings(
        data_dir, database="msgboxx_test_untrusted", login_attempts_per_minute=3
    )
    async with running(settings) as live:
        await _in_one_window()
        async with live.client() as client:
            for n in range(9):  # the address's limit: three times the per-user one
                reply = await _sign_in(
                    client, f"nobody{n}@example.com", "wrong", forwarded_for=f"203.0.113.{n}"
                )
                assert reply.status_code == 401, reply.text
            blocked = await _sign_in(
                client, "nobody9@example.com", "wrong", forwarded_for="203.0.113.99"
            )
            assert_problem(blocked, 429)


async def test_token__x_forwarded_for_from_a_trusted_proxy_names_the_client(
    data_dir: Path,
) -> None:
    settings = await own_settings(
        data_dir,
        database="msgboxx_test_trusted",
        login_attempts_per_minute=3,
        trusted_proxies="127.0.0.1",
    )
    async with running(settings) as live:
        tenant = await new_tenant(live)
        await _in_one_window()
        async with live.client() as proxy, _client_from(live, "127.0.0.2") as direct:
            for n in range(9):
                reply = await _sign_in(
                    proxy, f"nobody{n}@example.com", "wrong", forwarded_for="203.0.113.7"
                )
                assert reply.status_code == 401, reply.text
            blocked = await _sign_in(
                proxy, tenant.admin_email, PASSWORD, forwarded_for="203.0.113.7"
            )
            assert_problem(blocked, 429)
            reply = await _sign_in(
                proxy, tenant.admin_email, PASSWORD, forwarded_for="198.51.100.20"
            )
            assert reply.status_code == 200, reply.text
            # 127.0.0.2 is no proxy: what it forwards names no one, it is counted itself.
            reply = await _sign_in(
                direct, tenant.admin_email, PASSWORD, forwarded_for="203.0.113.7"
            )
            assert reply.status_code == 200, reply.text
        await tenant.api.aclose()


def test_settings__trusted_proxies_must_be_addresses_or_networks(data_dir: Path) -> None:
    assert test_settings(data_dir, trusted_proxies=" 10.0.0.0/8, ::1 ").trusted_proxy_list == [
        "10.0.0.0/8",
        "::1",
    ]
    with pytest.raises(ValueError, match=r"proxy\.example"):
        test_settings(data_dir, trusted_proxies="10.0.0.1,proxy.example")


async def test_auth__missing_or_bad_tokens_are_401_problems(server: Server, tenant: Tenant) -> None:
    key = server.app.state.settings.signing_key
    now = int(time.time())
    expired = jwt.encode(
        {"sub": str(uuid.uuid4()), "iss": "msgboxx", "iat": now - 7200, "exp": now - 3600},
        key,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": str(uuid.uuid4()), "iss": "msgboxx", "iat": now, "exp": now + 60},
        "another-key-entirely-of-sufficient-length",
        algorithm="HS256",
    )
    unsigned = jwt.encode(
        {"sub": str(uuid.uuid4()), "iss": "msgboxx", "iat": now, "exp": now + 60},
        None,
        algorithm="none",
    )
    async with server.client() as client:
        assert_problem(await client.get("/apiaccount"), 401)
        for header in (
            "Bearer",
            "Basic dXNlcjpwYXNz",
            "Bearer not.a.jwt",
            f"Bearer {forged}",
            f"Bearer {unsigned}",
        ):
            assert_problem(await client.get("/contact", headers={"Authorization": header}), 401)
        body = assert_problem(
            await client.get("/contact", headers={"Authorization": f"Bearer {expired}"}), 401
        )
        assert "expired" in body["detail"]


async def test_auth__a_token_that_worked_stops_working_when_it_expires(
    server: Server, tenant: Tenant
) -> None:
    """Checked signatures are remembered; the expiry must still be read each time."""
    key = server.app.state.settings.signing_key
    admin = jwt.decode(tenant.token, options={"verify_signature": False})["sub"]
    now = int(time.time())
    token = jwt.encode(
        {"sub": admin, "iss": "msgboxx", "iat": now, "exp": now + 2},
        key,
        algorithm="HS256",
    )
    async with server.client(token) as client:
        assert (await client.get("/whoami")).status_code == 200
        while time.time() < now + 2:
            await asyncio.sleep(0.1)
        body = assert_problem(await client.get("/whoami"), 401)
    assert "expired" in body["detail"]


async def test_auth__the_original_authorisation_spelling_works(
    server: Server, tenant: Tenant
) -> None:
    async with server.client() as client:
        reply = await client.get("/apiaccount", headers={"Authorisation": f"Bearer {tenant.token}"})
    assert reply.status_code == 200
    assert reply.json()["items"][0]["apiAccountId"] == tenant.account_id


async def test_passwords__are_stored_as_argon2id_hashes(server: Server, tenant: Tenant) -> None:
    async with server.db.tx(write=False) as tx:
        user = await tx.session.scalar(select(User).where(User.email == tenant.admin_email))
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


async def test_secret_key__is_generated_once_and_kept_in_the_data_folder(data_dir: Path) -> None:
    from tests.support import login, new_tenant

    async with running(test_settings(data_dir)) as first:
        tenant = await new_tenant(first)
        await tenant.api.aclose()
    key_file = data_dir / "secret_key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    async with running(test_settings(data_dir)) as second, second.client(tenant.token) as client:
        assert (await client.get("/apiaccount")).status_code == 200
        assert await login(second, tenant.admin_email)


async def test_whoami__names_the_user_behind_the_token(server: Server, tenant: Tenant) -> None:
    reply = await tenant.api.get("/whoami")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["email"] == tenant.admin_email
    assert body["organisationId"] == str(tenant.org_id)
    assert body["role"] == "admin"
    async with server.client() as anonymous:
        assert_problem(await anonymous.get("/whoami"), 401)
