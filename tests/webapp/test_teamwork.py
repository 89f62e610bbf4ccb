"""Teamwork in the page: assign, mine/unassigned, private notes, resolve, canned replies."""

from __future__ import annotations

from playwright.async_api import BrowserContext, expect

from tests.support import fresh_number
from tests.webapp.support import Team, sign_in


async def test_teamwork__assign_note_resolve_and_reopen(
    team: Team, browser: BrowserContext
) -> None:
    contact = (await team.customer_writes("Who is looking after me?"))["contactId"]
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    inbox = f"{team.base_url}/app/inbox/{team.inbox_a}"
    row = page.locator(f"li[data-contact-id='{contact}']")

    await page.goto(inbox + "?assignee=unassigned")
    await expect(row.locator(".assignee")).to_have_text("Unassigned")
    await page.goto(team.conversation_url(contact))
    await page.get_by_label("Assigned to").select_option(label=f"{team.agent_email} (me)")
    await page.get_by_role("button", name="Assign").click()
    await expect(page.get_by_label("Assigned to")).to_have_value(
        await page.locator("#assignee option", has_text="(me)").get_attribute("value") or ""
    )
    await page.goto(inbox + "?assignee=mine")
    await expect(row.locator(".assignee")).to_have_text(team.agent_email)
    await page.goto(inbox + "?assignee=unassigned")
    await expect(row).to_have_count(0)

    await page.goto(team.conversation_url(contact))
    await page.get_by_label("Private note").fill("VIP: <b>handle</b> with care")
    await page.get_by_role("button", name="Add note").click()
    note = page.locator(".bubble.note")
    await expect(note.locator(".text")).to_have_text("VIP: <b>handle</b> with care")
    await expect(note.locator(".note-label")).to_contain_text(team.agent_email)
    async with team.api() as api:  # never sent: no message carries it
        listed = await api.get("/message", params={"contactId": contact})
    assert [m["message"] for m in listed.json()["items"]] == ["Who is looking after me?"]

    await page.get_by_role("button", name="Resolve").click()
    await expect(page.locator("#conversation-status")).to_have_text("resolved")
    await page.goto(inbox)  # the default list shows open conversations
    await expect(row).to_have_count(0)
    await page.goto(inbox + "?status=resolved")
    await expect(row).to_have_count(1)
    await page.goto(team.conversation_url(contact))
    await page.get_by_role("button", name="Reopen").click()
    await expect(page.locator("#conversation-status")).to_have_text("open")


async def test_teamwork__a_customer_message_reopens_and_mark_as_read_clears_unread(
    team: Team, browser: BrowserContext
) -> None:
    number = fresh_number()
    contact = (await team.customer_writes("One", number=number))["contactId"]
    await team.customer_writes("Two", number=number)
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    inbox = f"{team.base_url}/app/inbox/{team.inbox_a}"
    row = page.locator(f"li[data-contact-id='{contact}']")
    await page.goto(inbox + "?show=unread")
    await expect(row.locator(".unread")).to_have_text("2")
    await page.goto(team.conversation_url(contact))  # opening it marks it read
    await expect(page.locator("#teamwork")).to_have_attribute("data-unread", "0")
    await page.goto(inbox + "?show=unread")
    await expect(row).to_have_count(0)

    await page.goto(team.conversation_url(contact))
    await page.get_by_role("button", name="Resolve").click()
    await expect(page.locator("#conversation-status")).to_have_text("resolved")
    await team.customer_writes("Three", number=number)
    await page.goto(inbox)
    await expect(row.locator(".preview")).to_have_text("Three")


async def test_canned_reply__slash_inserts_it_into_the_composer(
    team: Team, browser: BrowserContext
) -> None:
    async with team.api() as api:
        made = await api.post(
            "/canned-reply",
            json={"shortcut": "hours", "body": "We are open 9 to 5, Monday to Friday."},
        )
        assert made.status_code == 201, made.text
        await api.post("/canned-reply", json={"shortcut": "thanks", "body": "Thank you!"})
    contact = (await team.customer_writes("When are you open?"))["contactId"]
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    await page.goto(team.conversation_url(contact))
    composer = page.get_by_label("Reply")
    await composer.type("/")
    suggestions = page.get_by_role("listbox", name="Canned replies")
    await expect(suggestions.get_by_role("option")).to_have_count(2)
    await composer.type("ho")
    await expect(suggestions.get_by_role("option", name="/hours")).to_be_visible()
    await expect(suggestions.get_by_role("option", name="/thanks")).to_be_hidden()
    await composer.press("Enter")  # inserts; a second Enter sends
    await expect(composer).to_have_value("We are open 9 to 5, Monday to Friday.")
    await composer.press("Enter")
    bubble = page.locator("#thread-items .bubble.out").last
    await expect(bubble.locator(".text")).to_have_text("We are open 9 to 5, Monday to Friday.")

    await composer.type("/")  # the keyboard alone: arrows choose, Enter inserts
    await composer.press("ArrowDown")
    await expect(suggestions.locator("li.chosen")).to_have_attribute("data-shortcut", "thanks")
    await composer.press("Enter")
    await expect(composer).to_have_value("Thank you!")
