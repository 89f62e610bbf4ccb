"""Signing in and out of the web inbox, who sees which inbox, and the CSRF guard."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from playwright.async_api import BrowserContext, expect

from msgboxx.auth import service as auth
from tests.auth.test_token import _in_one_window as in_one_window
from tests.support import PASSWORD, fresh_number, running, test_settings
from tests.webapp.conftest import InboxServer
from tests.webapp.support import Team, csrf_of, sign_in


async def test_sign_in__opens_the_inboxes_with_a_session_cookie_only_the_server_reads(
    team: Team, browser: BrowserContext
) -> None:
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.admin_email)
    await expect(page.get_by_role("link", name="Shop A")).to_be_visible()
    await expect(page.get_by_role("link", name="Shop B")).to_be_visible()
    [cookie] = [c for c in await browser.cookies() if c["name"] == "msgboxx_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/app"
    assert cookie["secure"] is False  # plain http on loopback; https sets it
    assert await page.evaluate("document.cookie") == ""  # no script can read it


async def test_sign_in__a_wrong_password_is_refused(team: Team, browser: BrowserContext) -> None:
    page = await browser.new_page()
    await page.goto(f"{team.base_url}/app/login")
    await page.get_by_label("Email").fill(team.admin_email)
    await page.get_by_label("Password").fill("not the password")
    async with page.expect_response(lambda r: r.request.method == "POST") as answered:
        await page.get_by_role("button", name="Sign in").click()
    assert (await answered.value).status == 401
    await expect(page.get_by_role("alert")).to_contain_text("username or password is wrong")
    assert [c for c in await browser.cookies() if c["name"] == "msgboxx_session"] == []


async def test_sign_out__ends_the_session_for_its_cookie_too(
    team: Team, browser: BrowserContext
) -> None:
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.admin_email)
    [cookie] = [c for c in await browser.cookies() if c["name"] == "msgboxx_session"]
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # The old cookie, replayed by hand, signs nobody in any more.
    async with httpx.AsyncClient(
        base_url=team.base_url, cookies={"msgboxx_session": cookie["value"]}
    ) as client:
        reply = await client.get("/app/")
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/app/login")


async def test_sign_in__a_disabled_users_session_stops_working(
    team: Team, browser: BrowserContext, inbox_server: InboxServer
) -> None:
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    async with inbox_server.db.tx(write=True) as tx:
        await auth.set_disabled(tx, email=team.agent_email, disabled=True)
        await tx.commit()
    await page.goto(f"{team.base_url}/app/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_agent__sees_only_the_assigned_inbox_and_another_is_a_404(
    team: Team, browser: BrowserContext
) -> None:
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    await expect(page.get_by_role("link", name="Shop A")).to_be_visible()
    await expect(page.get_by_role("link", name="Shop B")).to_have_count(0)
    reply = await page.goto(f"{team.base_url}/app/inbox/{team.inbox_b}")
    assert reply is not None and reply.status == 404
    await expect(page.get_by_role("heading", name="404")).to_be_visible()
    async with team.api() as api:
        made = await api.post(
            "/contact", json={"mobileNumber": fresh_number(), "apiAccountId": team.account_b}
        )
    assert made.status_code == 201, made.text
    contact_b = made.json()["contactId"]
    for url in (
        f"/app/inbox/{team.inbox_b}/c/{contact_b}",
        f"/app/inbox/{team.inbox_a}/c/{contact_b}",  # B's contact under A's inbox
    ):
        reply = await page.goto(team.base_url + url)
        assert reply is not None and reply.status == 404, url


async def _signed_in_client(team: Team, email: str) -> httpx.AsyncClient:
    """A plain HTTP client holding a session cookie, as a browser would after signing in."""
    client = httpx.AsyncClient(base_url=team.base_url, timeout=30)
    form = await client.get("/app/login")
    token = form.text.split('name="csrf" value="')[1].split('"')[0]
    reply = await client.post(
        "/app/login", data={"email": email, "password": PASSWORD, "csrf": token}
    )
    assert reply.status_code == 303, reply.text
    return client


async def test_csrf__a_post_without_the_token_is_refused(team: Team) -> None:
    contact = (await team.customer_writes("Hello"))["contactId"]
    send = f"/app/inbox/{team.inbox_a}/c/{contact}/send"
    client = await _signed_in_client(team, team.admin_email)
    try:
        page = await client.get(f"/app/inbox/{team.inbox_a}/c/{contact}")
        token = csrf_of(page.text)

        without = await client.post(send, data={"text": "no token"})
        assert without.status_code == 403
        assert "security token" in without.text
        wrong = await client.post(send, data={"text": "wrong token", "csrf": "x" * 43})
        assert wrong.status_code == 403
        elsewhere = await client.post(
            send,
            data={"text": "from another site", "csrf": token},
            headers={"Origin": "https://evil.example"},
        )
        assert elsewhere.status_code == 403
        cross_site = await client.post(
            send,
            data={"text": "cross-site", "csrf": token},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        assert cross_site.status_code == 403
        signed_out = await client.post("/app/logout")
        assert signed_out.status_code == 403  # signing out is a change too

        sent = await client.post(send, data={"text": "with the token", "csrf": token})
        assert sent.status_code == 303
    finally:
        await client.aclose()
    async with team.api() as api:
        listed = await api.get("/message", params={"contactId": contact, "direction": "Outbound"})
    assert [m["message"] for m in listed.json()["items"]] == ["with the token"]


async def test_csrf__the_sign_in_form_needs_its_own_token(team: Team) -> None:
    async with httpx.AsyncClient(base_url=team.base_url) as client:
        reply = await client.post(
            "/app/login", data={"email": team.admin_email, "password": PASSWORD}
        )
    assert reply.status_code == 403
    assert "msgboxx_session" not in reply.cookies


async def test_sign_in__counts_against_the_apis_login_limit(tmp_path: Path) -> None:
    """Wrong passwords at POST /oauth/token and at the form share one limit (the API's)."""
    settings = test_settings(tmp_path / "data", login_attempts_per_minute=2)
    email = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    async with running(settings) as server:
        async with server.db.tx(write=True) as tx:
            org = await auth.create_organisation(tx, name="Limited")
            await auth.create_user(tx, org_id=org.id, email=email, password=PASSWORD, role="admin")
            await tx.commit()
        await in_one_window()
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            for _ in range(2):
                wrong = await client.post(
                    "/oauth/token", json={"username": email, "password": "nope"}
                )
                assert wrong.status_code == 401
            form = await client.get("/app/login")
            token = form.text.split('name="csrf" value="')[1].split('"')[0]
            reply = await client.post(
                "/app/login",
                data={"email": email, "password": PASSWORD, "csrf": token},
            )
    assert reply.status_code == 429
    assert int(reply.headers["retry-after"]) >= 1
    assert "msgboxx_session" not in reply.cookies
