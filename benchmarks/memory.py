"""Memory: the server's RSS at start, after a warm-up, and after a soak at half the ceiling.

Growth is judged from the warmed-up figure (caches and the first connections
filled), and the cold start is reported beside it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks import fixtures, loadgen
from benchmarks.config import Config
from benchmarks.stack import running


def measure(config: Config, workdir: Path, *, ceiling_rps: float | None) -> dict[str, Any]:
    rate = round((ceiling_rps or 100.0) / 2, 1)
    with running(workdir) as stack:
        fixture = stack.fixture
        bodies = fixtures.write_message_bodies(
            workdir / "bodies.jsonl",
            account=fixture.sandbox_account,
            contacts=fixture.sandbox_contacts,
        )
        time.sleep(1)
        cold = stack.server.rss_kib()

        def load(seconds: float) -> dict[str, Any]:
            return loadgen.open_loop(
                url=stack.base, rate=rate, seconds=seconds, token=fixture.token, bodies=bodies
            )

        load(min(30.0, max(5.0, config.soak_seconds / 10)))
        time.sleep(5)
        warm = stack.server.rss_kib()
        soak = load(config.soak_seconds)
        time.sleep(5)
        end = stack.server.rss_kib()
    growth = (end - warm) / warm
    print(f"  memory: cold {cold} KiB, warm {warm} KiB, after soak {end} KiB", flush=True)
    return {
        "rateRps": rate,
        "soakSeconds": config.soak_seconds,
        "rssKiB": {"start": cold, "warm": warm, "afterSoak": end},
        "growthFromWarm": round(growth, 4),
        "growthFromStart": round((end - cold) / cold, 4),
        "soakClient": soak,
    }
