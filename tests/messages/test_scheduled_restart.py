"""A scheduled message survives a restart of ``msgboxx serve`` and still goes on time.

The real command a user runs, on the embedded default (SQLite, the sandbox, the
demo's contact, whose window is open): nothing about the schedule lives in the
process, so the one started again finds it in the database and wakes for it.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from msgboxx.db import utcnow
from tests.processes import serving

DEMO = {"username": "demo@msgboxx.local", "password": "demo-password"}
# Long enough for the server to stop and start again before the message is due,
# also on a loaded machine (a start has taken over ten seconds with two busy cores).
AHEAD = timedelta(seconds=30)

pytestmark = pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in os.environ,
    reason="the demo belongs to the embedded SQLite default; PostgreSQL: tests/dispatch",
)


def signed_in(base: str) -> httpx.Client:
    token = httpx.post(f"{base}/oauth/token", json=DEMO).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})


def hand_offs(log: Path) -> dict[str, list[float]]:
    """When the sandbox network got each message, by message id."""
    sends: dict[str, list[float]] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            message_id, _provider_id, _pid, at = line.split()
            sends.setdefault(message_id, []).append(float(at))
    return sends


def test_restart__a_scheduled_message_goes_within_a_second_of_send_at(data_dir: Path) -> None:
    log = data_dir.parent / "hand-offs.log"
    env = {
        "MSGBOXX_SANDBOX_HAND_OFF_LOG": str(log),
        # Far longer than the test: only the wake for the due time can send it on time.
        "MSGBOXX_DISPATCH_POLL_INTERVAL": "60",
    }
    with serving(data_dir, **env) as base, signed_in(base) as api:
        account = api.get("/apiaccount").json()["items"][0]["apiAccountId"]
        contact = api.get(
            "/contact", params={"apiAccountId": account, "mobileNumber": "447902111123"}
        ).json()["items"][0]["contactId"]
        send_at = utcnow() + AHEAD
        reply = api.post(
            "/message",
            json={
                "apiAccountId": account,
                "contactId": contact,
                "message": "Your table is ready",
                "sendAt": send_at.isoformat(),
            },
        )
        assert reply.status_code == 201, reply.text
        message_id = reply.json()["messageId"]
    # Stopped; started again on the same data folder.
    with serving(data_dir, **env) as base, signed_in(base) as api:
        assert time.time() < send_at.timestamp(), "the restart took longer than the schedule"
        assert api.get(f"/message/{message_id}").json()["status"] == "Pending"
        assert message_id not in hand_offs(log)
        deadline = send_at.timestamp() + 10
        print(f"restarted {send_at.timestamp() - time.time():.1f}s before sendAt")
        while message_id not in hand_offs(log):
            assert time.time() < deadline, "the scheduled message never went out"
            time.sleep(0.02)
        (reached,) = hand_offs(log)[message_id]
        assert send_at.timestamp() <= reached < send_at.timestamp() + 1.0
        shown = api.get(f"/message/{message_id}").json()
        assert datetime.fromisoformat(shown["sendAt"]).timestamp() == pytest.approx(
            send_at.timestamp(), abs=0.001
        )
