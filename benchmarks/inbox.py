"""The agents' web inbox from a real run: its screenshots, and how fast a message shows live.

``python -m benchmarks.inbox screenshots`` starts ``msgboxx serve`` as ``make run`` does
(SQLite, the sandbox, the demo organisation), lets a few customers write, answers
them in Debian's Chromium, and saves the inbox and a conversation at 1280 and 390
pixels wide into docs/screenshots/.

``python -m benchmarks.inbox live [--messages 100]`` measures a customer's message
from the moment the API accepted it (``POST /sandbox/inbound`` answered 202) to
the moment the open conversation page shows it (a MutationObserver in the page),
one message at a time, and prints the median and p99. Both run on the embedded
default (SQLite), where the demo exists; the browser and the server share the
machine's clock.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.async_api import BrowserContext, Page

from benchmarks import procs
from tests.browser import launched

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
EMAIL, PASSWORD = "demo@msgboxx.local", "demo-password"
CUSTOMERS = [
    ("+447902111201", "Priya Shah", "Hi! Is the blue jacket back in stock in size M?"),
    ("+447902111202", "Tom Becker", "My order #1042 has not arrived yet"),
    ("+447902111203", "Lucía Romero", "Can I change the delivery address?"),
    ("+447902111204", "Sam Okafor", "Thanks, got it!"),
]


@dataclass
class Demo:
    base_url: str
    token: str
    account_number: str
    inbox_id: str

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )


@asynccontextmanager
async def demo_server(data_dir: Path) -> AsyncIterator[Demo]:
    """``msgboxx serve`` with the embedded default's demo, as after ``make run``."""
    port = procs.free_port()
    env = procs.environment(
        data_dir,
        MSGBOXX_DEMO="true",
        MSGBOXX_PORT=str(port),
        MSGBOXX_LOGIN_ATTEMPTS_PER_MINUTE="1000",
    )
    server = procs.start("serve", ["serve"], env, data_dir / "logs")
    base = f"http://127.0.0.1:{port}"
    try:
        procs.wait_until_up(server, f"{base}/readyz")
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            token = (
                await client.post("/oauth/token", json={"username": EMAIL, "password": PASSWORD})
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            [inbox] = (await client.get("/inbox", headers=headers)).json()["items"]
            [account] = (await client.get("/apiaccount", headers=headers)).json()["items"]
        yield Demo(base, token, account["phoneNumber"], inbox["inboxId"])
    finally:
        server.stop()


async def sign_in(page: Page, demo: Demo) -> None:
    await page.goto(f"{demo.base_url}/app/login")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{demo.base_url}/app/")


async def customer_writes(
    demo: Demo, api: httpx.AsyncClient, number: str, text: str, name: str | None = None
) -> dict[str, str]:
    reply = await api.post(
        "/sandbox/inbound",
        json={"from": number, "to": demo.account_number, "text": text, "name": name},
    )
    reply.raise_for_status()
    found: dict[str, str] = reply.json()
    return found


async def screenshots(demo: Demo, profile: Path) -> list[Path]:
    async with demo.api() as api:
        contacts = [await customer_writes(demo, api, n, t, name) for n, name, t in CUSTOMERS]
        await api.post("/canned-reply", json={"shortcut": "thanks", "body": "Thank you!"})
    first = contacts[0]["contactId"]
    taken: list[Path] = []
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        async with launched(
            profile / str(width), viewport={"width": width, "height": height}
        ) as context:
            page = await context.new_page()
            await sign_in(page, demo)
            conversation = f"{demo.base_url}/app/inbox/{demo.inbox_id}/c/{first}"
            if width == 1280:
                await page.goto(conversation)
                await page.get_by_label("Reply").fill(
                    "Hi Priya! Yes, size M is back since this morning."
                )
                await page.get_by_label("Reply").press("Enter")
                await page.get_by_label("Private note").fill("Offered 10% off if she orders today")
                await page.get_by_role("button", name="Add note").click()
                await page.wait_for_timeout(600)
                async with demo.api() as api:
                    await customer_writes(demo, api, CUSTOMERS[0][0], "Great, I'll order it now!")
                await page.locator("#thread-items .bubble.out .ticks.read").last.wait_for(
                    timeout=15_000
                )
            await page.goto(f"{demo.base_url}/app/inbox/{demo.inbox_id}")
            await page.wait_for_timeout(300)
            taken.append(await _shot(page, f"inbox-{width}.png", context))
            await page.goto(conversation)
            await page.wait_for_timeout(500)
            taken.append(await _shot(page, f"conversation-{width}.png", context))
    return taken


async def _shot(page: Page, name: str, _context: BrowserContext) -> Path:
    path = SHOTS / name
    await page.screenshot(path=str(path), full_page=True)
    return path


OBSERVER = """() => {
  window.__seen = {};
  const record = () => {
    for (const el of document.querySelectorAll('#thread-items .bubble.in .text')) {
      const text = el.textContent;
      if (!(text in window.__seen)) window.__seen[text] = Date.now();
    }
  };
  record();
  const options = {childList: true, subtree: true};
  new MutationObserver(record).observe(document.getElementById('thread'), options);
}"""


async def live(demo: Demo, profile: Path, messages: int) -> list[float]:
    """Milliseconds from the API's 202 to the page showing the message, one message at a time."""
    number = "+447902111299"
    async with demo.api() as api:
        contact = (await customer_writes(demo, api, number, "warm-up"))["contactId"]
        async with launched(profile / "live", viewport={"width": 1280, "height": 800}) as context:
            page = await context.new_page()
            await sign_in(page, demo)
            await page.goto(f"{demo.base_url}/app/inbox/{demo.inbox_id}/c/{contact}")
            await page.locator("body[data-live-state=open]").wait_for()
            await page.evaluate(OBSERVER)
            delays = []
            for n in range(messages):
                text = f"live check {n}"
                await customer_writes(demo, api, number, text)
                accepted = time.time() * 1000
                await page.wait_for_function(
                    "text => text in window.__seen", arg=text, timeout=10_000
                )
                seen = await page.evaluate("text => window.__seen[text]", text)
                delays.append(seen - accepted)
                await asyncio.sleep(0.05)
    return delays


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inbox")
    parser.add_argument("what", choices=["screenshots", "live"])
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="msgboxx-inbox-") as tmp:
        folder = Path(tmp)
        async with demo_server(folder / "data") as demo:
            if args.what == "screenshots":
                for path in await screenshots(demo, folder / "profiles"):
                    print(path.relative_to(ROOT))
                return
            delays = await live(demo, folder / "profiles", args.messages)
    print(
        f"live update, inbound accepted -> shown in the page (SQLite, {len(delays)} messages): "
        f"median {statistics.median(delays):.0f} ms, p99 {p99(delays):.0f} ms, "
        f"max {max(delays):.0f} ms, min {min(delays):.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
