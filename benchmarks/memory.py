"""Memory: the server's RSS at start, after a warm-up, and through a soak at half the ceiling.

Growth is judged from the warmed-up figure (caches and the first connections
filled), and the cold start is reported beside it. RSS is sampled through the
soak, so a rise that levels off (SQLite's page cache filling to its bound) can
be told from one that keeps climbing.

The soak runs in steady state (see ``stack.STEADY_ENV``): everything accepted
is also sent, so the figure is not the growth of a backlog.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from benchmarks import fixtures, loadgen
from benchmarks.config import Config
from benchmarks.stack import running

SAMPLE_EVERY = 30.0


def measure(config: Config, workdir: Path, *, ceiling_rps: float | None) -> dict[str, Any]:
    rate = round((ceiling_rps or 100.0) / 2, 1)
    with running(workdir, contacts=10_000, env={"MSGBOXX_NUMBER_THROUGHPUT": "1000"}) as stack:
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
        soak: dict[str, Any] = {}
        soaking = threading.Thread(target=lambda: soak.update(load(config.soak_seconds)))
        began = time.monotonic()
        soaking.start()
        samples: list[tuple[float, int]] = []
        while soaking.is_alive():
            soaking.join(timeout=SAMPLE_EVERY)
            samples.append((round(time.monotonic() - began, 1), stack.server.rss_kib()))
        time.sleep(5)
        end = stack.server.rss_kib()
    growth = (end - warm) / warm
    half = [kib for at, kib in samples if at >= config.soak_seconds / 2]
    second_half = (max(half) - min(half)) / warm if len(half) > 1 else None
    print(f"  memory: cold {cold} KiB, warm {warm} KiB, after soak {end} KiB", flush=True)
    return {
        "rateRps": rate,
        "soakSeconds": config.soak_seconds,
        "rssKiB": {"start": cold, "warm": warm, "afterSoak": end},
        "growthFromWarm": round(growth, 4),
        "growthFromStart": round((end - cold) / cold, 4),
        "growthInSecondHalf": round(second_half, 4) if second_half is not None else None,
        "samplesKiB": samples,
        "soakClient": soak,
    }
