"""The campaigns page: a campaign's progress moves without a reload; cancel from the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import BrowserContext, expect

from tests.support import fresh_number
from tests.webapp.support import Team, sign_in


async def _template_id(team: Team) -> str:
    async with team.api() as api:
        listed = await api.get("/template", params={"apiAccountId": team.account_a})
    assert listed.status_code == 200, listed.text
    [found] = [t for t in listed.json()["items"] if t["name"] == "order_ready"]
    return str(found["templateId"])


async def _campaign(team: Team, *, customers: int, **extra: object) -> str:
    template_id = await _template_id(team)
    async with team.api() as api:
        ids = []
        for n in range(customers):
            made = await api.post(
                "/contact",
                json={
                    "apiAccountId": team.account_a,
                    "mobileNumber": fresh_number(),
                    "name": f"Customer {n}",
                },
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["contactId"])
        created = await api.post(
            "/campaign",
            json={
                "name": f"Spring sale {fresh_number()}",
                "apiAccountId": team.account_a,
                "templateId": template_id,
                "audience": {"contactIds": ids},
                "parameters": ["{{contact.name}}", "42"],
                **extra,
            },
        )
    assert created.status_code == 201, created.text
    return str(created.json()["campaignId"])


async def test_campaigns__progress_moves_live_to_every_message_read(
    team: Team, browser: BrowserContext
) -> None:
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.agent_email)
    await page.goto(f"{team.base_url}/app/campaigns")
    await expect(page.locator("body")).to_have_attribute("data-live-state", "open")
    campaign_id = await _campaign(team, customers=4)  # created after the page opened

    shown = page.locator(f"li[data-campaign-id='{campaign_id}']")
    await expect(shown).to_have_count(1, timeout=15_000)
    await expect(shown.locator("[data-count=read]")).to_have_text("4", timeout=30_000)
    await expect(shown.locator("[data-count=sent]")).to_have_text("4")
    await expect(shown).to_have_attribute("data-status", "completed")
    async with team.api() as api:
        counts = (await api.get(f"/campaign/{campaign_id}")).json()["counts"]
    assert (counts["sent"], counts["read"], counts["targeted"]) == (4, 4, 4)


async def test_campaigns__a_scheduled_campaign_is_cancelled_from_the_page(
    team: Team, browser: BrowserContext
) -> None:
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    campaign_id = await _campaign(team, customers=2, sendAt=later)
    page = await browser.new_page()
    await sign_in(page, team.base_url, team.admin_email)
    await page.goto(f"{team.base_url}/app/campaigns")
    shown = page.locator(f"li[data-campaign-id='{campaign_id}']")
    await expect(shown).to_have_attribute("data-status", "scheduled")

    await shown.get_by_role("button", name="Cancel").click()
    await expect(shown).to_have_attribute("data-status", "cancelled")
    await expect(shown.get_by_role("button", name="Cancel")).to_have_count(0)
    async with team.api() as api:
        found = (await api.get(f"/campaign/{campaign_id}")).json()
    assert found["status"] == "cancelled"
    assert found["counts"]["sent"] == 0
