"""A conversation in the browser: live messages and ticks, the composer, templates, the panel."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page, expect

from tests.media import samples
from tests.support import fresh_number
from tests.webapp.support import Team, sign_in, watching_dialogs

LIVE_WAIT = 5_000  # ms: a change is shown well within this (docs/benchmarks.md has the figures)


async def stays_loaded(page: Page) -> None:
    """Mark the page: a reload would lose the mark, so updates must have come live."""
    await page.evaluate("window.__sameDocument = true")


async def still_loaded(page: Page) -> bool:
    return bool(await page.evaluate("window.__sameDocument === true"))


async def live_page(page: Page) -> None:
    """Wait until the page's event stream is open (what it shows from then on is live)."""
    await expect(page.locator("body[data-live-state=open]")).to_have_count(1)


async def test_live__a_customer_message_appears_in_the_list_and_the_thread(
    team: Team, browser: BrowserContext
) -> None:
    number = fresh_number()
    contact = (await team.customer_writes("First message", number=number))["contactId"]
    thread = await browser.new_page()
    await sign_in(thread, team.base_url, team.agent_email)
    await thread.goto(team.conversation_url(contact))
    inbox = await browser.new_page()
    await inbox.goto(f"{team.base_url}/app/inbox/{team.inbox_a}")
    for page in (thread, inbox):
        await live_page(page)
        await stays_loaded(page)

    await team.customer_writes("Is my parcel on its way?", number=number)
    await expect(thread.locator(".bubble.in .text").last).to_have_text(
        "Is my parcel on its way?", timeout=LIVE_WAIT
    )
    row = inbox.locator(f"li[data-contact-id='{contact}']")
    await expect(row.locator(".preview")).to_have_text("Is my parcel on its way?")

    newcomer = await team.customer_writes("Hello, I am new here")  # a new conversation
    row = inbox.locator(f"li[data-contact-id='{newcomer['contactId']}']")
    await expect(row.locator(".preview")).to_have_text("Hello, I am new here", timeout=LIVE_WAIT)
    await expect(row.locator(".unread")).to_have_text("1")
    await expect(row.locator(".badge.open")).to_contain_text("left")
    assert await still_loaded(thread) and await still_loaded(inbox)


async def test_reply__enter_sends_and_the_ticks_move_to_read_live(
    team: Team, browser: BrowserContext
) -> None:
    contact = (await team.customer_writes("Can you help?"))["contactId"]
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    await page.goto(team.conversation_url(contact))
    await live_page(page)
    await stays_loaded(page)
    await expect(page.locator("#window")).to_contain_text("Window open")
    await expect(page.locator("#window .countdown")).to_have_text(r"23h 59m")

    composer = page.get_by_label("Reply")
    await composer.fill("Of course.")
    await composer.press("Shift+Enter")
    await composer.type("What is your order number?")
    await expect(page.locator("#counter")).to_have_text("37 / 4,096")
    await composer.press("Enter")

    bubble = page.locator("#thread-items .bubble.out").last
    await expect(bubble.locator(".text")).to_have_text("Of course.\nWhat is your order number?")
    await expect(composer).to_have_value("")
    # Pending or Sent first, then Delivered, then Read, each shown without a reload.
    await expect(bubble.locator(".ticks.read")).to_have_count(1, timeout=LIVE_WAIT)
    await expect(bubble).to_have_attribute("data-status", "Read")
    assert await still_loaded(page)


async def test_closed_window__the_template_picker_sends_a_broadcast(
    team: Team, browser: BrowserContext
) -> None:
    async with team.api() as api:
        made = await api.post(
            "/contact",
            json={"mobileNumber": fresh_number(), "apiAccountId": team.account_a, "name": "Ann"},
        )
    contact = made.json()["contactId"]
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    await page.goto(team.conversation_url(contact))
    await expect(page.locator("#window")).to_contain_text("Window closed")
    await expect(page.get_by_label("Reply")).to_have_count(0)

    await expect(page.get_by_label("Send an approved template")).to_have_value(
        await page.locator("#template option").first.get_attribute("value") or ""
    )
    await page.get_by_label("{{1}}").fill("Ann")
    await expect(page.locator("#preview")).to_have_text("Hi Ann, your order {{2}} is ready.")
    await page.get_by_label("{{2}}").fill("42")
    await expect(page.locator("#preview")).to_have_text("Hi Ann, your order 42 is ready.")
    await page.get_by_role("button", name="Send template").click()

    bubble = page.locator("#thread-items .bubble.out").last
    await expect(bubble.locator(".text")).to_have_text("Hi Ann, your order 42 is ready.")
    async with team.api() as api:
        broadcasts = await api.get("/broadcast", params={"contactId": contact})
        [sent] = broadcasts.json()["items"]
        assert sent["message"] == "Hi Ann, your order 42 is ready."
    await expect(bubble.locator(".ticks.read")).to_have_count(1, timeout=LIVE_WAIT)


async def test_contact_panel__opt_out_and_in_rename_and_a_new_contact(
    team: Team, browser: BrowserContext
) -> None:
    contact = (await team.customer_writes("STOP sending offers please"))["contactId"]
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    await page.goto(team.conversation_url(contact))
    await expect(page.locator("#consent")).to_have_text("Subscribed")
    await page.get_by_role("button", name="Opt out").click()
    await expect(page.locator("#consent")).to_have_text("Unsubscribed")
    async with team.api() as api:
        shown = await api.get(f"/contact/{contact}")
        assert shown.json()["status"] == "Unsubscribed"
    await page.get_by_role("button", name="Opt in").click()
    await expect(page.locator("#consent")).to_have_text("Subscribed")

    await page.get_by_label("Name").fill("Grace Hopper")
    await page.get_by_role("button", name="Save name").click()
    await expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()

    await page.goto(f"{team.base_url}/app/inbox/{team.inbox_a}")
    number = fresh_number()
    await page.get_by_label("Mobile number").fill(number)
    await page.get_by_label("Name", exact=True).fill("Alan")
    await page.get_by_role("button", name="Add and start with a template").click()
    await expect(page.get_by_role("heading", name="Alan")).to_be_visible()
    await expect(page.locator("#contact-number")).to_have_text(number)
    await expect(page.get_by_role("button", name="Send template")).to_be_visible()


async def test_contact_panel__erase_needs_its_confirmation(
    team: Team, browser: BrowserContext
) -> None:
    contact = (await team.customer_writes("Please forget me"))["contactId"]
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.admin_email)
    await page.goto(team.conversation_url(contact))
    await page.get_by_text("Erase this contact").click()
    await page.get_by_label("Type ERASE to confirm").fill("yes")
    await page.get_by_role("button", name="Erase for good").click()
    await expect(page.get_by_role("alert")).to_contain_text("type ERASE")
    await page.go_back()
    await page.get_by_text("Erase this contact").click()
    await page.get_by_label("Type ERASE to confirm").fill("ERASE")
    await page.get_by_role("button", name="Erase for good").click()
    await expect(page.get_by_role("heading", name="Shop A")).to_be_visible()
    async with team.api() as api:
        assert (await api.get(f"/contact/{contact}")).status_code == 404


async def test_escaping__a_customers_markup_is_shown_as_text_and_runs_nothing(
    team: Team, browser: BrowserContext
) -> None:
    attack = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    async with watching_dialogs(browser) as dialogs:
        page = await browser.new_page()
        await sign_in(page, team.base_url, team.agent_email)
        await page.goto(f"{team.base_url}/app/inbox/{team.inbox_a}")
        await live_page(page)
        async with team.api() as api:
            reply = await api.post(
                "/sandbox/inbound",
                json={
                    "from": fresh_number(),
                    "to": team.number_a,
                    "text": attack,
                    "name": "<b onmouseover=alert(2)>Eve</b>",
                },
            )
        contact = reply.json()["contactId"]
        row = page.locator(f"li[data-contact-id='{contact}']")
        await expect(row.locator(".preview")).to_have_text(attack, timeout=LIVE_WAIT)  # live
        await expect(row.locator(".name")).to_contain_text("<b onmouseover=alert(2)>Eve</b>")
        await row.locator("a").hover()
        await page.goto(team.conversation_url(contact))
        await expect(page.locator(".bubble.in .text")).to_have_text(attack)
        await page.locator(".bubble.in").hover()
        await page.wait_for_timeout(500)  # an image error or a script would have fired
        assert await page.locator("#main script, #main img").count() == 0
        assert await page.locator("b").count() == 0
    assert dialogs == []


async def test_media__an_image_shows_inline_through_the_session(
    team: Team, browser: BrowserContext
) -> None:
    contact = (await team.customer_writes("Send me a photo"))["contactId"]
    image = samples.png()
    async with team.api() as api:
        uploaded = await api.post(
            "/media",
            data={"type": "image", "apiAccountId": team.account_a},
            files={"file": ("photo.png", image, "image/png")},
        )
        assert uploaded.status_code == 201, uploaded.text
        media_id = uploaded.json()["mediaId"]
        sent = await api.post(
            "/message",
            json={
                "apiAccountId": team.account_a,
                "contactId": contact,
                "media": {"type": "image", "mediaId": media_id, "caption": "The photo"},
            },
        )
        assert sent.status_code == 201, sent.text
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    await page.goto(team.conversation_url(contact))
    picture = page.get_by_role("img", name="The photo")
    await expect(picture).to_be_visible()
    assert await picture.evaluate("img => img.complete && img.naturalWidth > 0")
    fetched = await page.request.get(f"{team.base_url}/app/media/{media_id}")
    assert fetched.status == 200 and await fetched.body() == image
