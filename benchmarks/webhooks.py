"""Webhook deliveries at volume: what ten subscriptions to ``message.status`` cost end to end.

On the embedded default (SQLite, one ``msgboxx serve`` sending to the Graph
double, as ``e2e`` runs it), a fixed offered rate (``BENCH_WEBHOOK_RATE``) is
held for ``BENCH_WEBHOOK_SECONDS`` with no subscription and then with ten,
alternated ``BENCH_REPS`` times, so a drift of the host's speed falls on both.
Each message goes Pending → Sent → Delivered → Read: three ``message.status``
events, each delivered to every subscription. The ten subscriptions are made
through the public API (``POST /webhook``) before their run and deleted after
it; they point at one receiver process (``benchmarks/receiver.py``) on
loopback, one path each, which answers 204 and counts.

Per run: messages that reached Read per second (e2e's rule: within 5 s of the
run's end), deliveries per second while messages were offered, whether every
delivery the outbox made (one per status change and subscription: about 30 a
message) arrived once it drained, the lag from each status change (the
event's ``timestamp``) to its arrival, and CPU per message by process, both
for the run (as e2e counts it) and through the drain of the deliveries, which
is what the deliveries really cost.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from benchmarks import e2e, procs
from benchmarks.config import Config
from benchmarks.stack import Stack
from msgboxx import wiring
from msgboxx.messages.models import Message
from msgboxx.webhooks.models import DeliveryStatus, WebhookDelivery

SUBSCRIPTIONS = 10
DRAIN_SECONDS = 600
TARGET_RATIO = 0.8
RECEIVER = Path(__file__).resolve().with_name("receiver.py")


@contextmanager
def _receiver(stack: Stack) -> Iterator[str]:
    """The counting receiver, one of the stack's processes (so its CPU is counted with theirs)."""
    port = procs.free_port()
    process = procs.start(
        "receiver",
        ["--port", str(port)],
        procs.environment(stack.workdir),
        stack.workdir / "logs",
        program=(sys.executable, str(RECEIVER)),
    )
    stack.processes["receiver"] = process  # the stack stops it with the others
    url = f"http://127.0.0.1:{port}"
    procs.wait_until_up(process, f"{url}/stats")
    yield url


def _stats(receiver: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{receiver}/stats", timeout=30).json()
    return found


def _subscribe(stack: Stack, receiver: str) -> list[str]:
    """Ten subscriptions to message.status, through the API as a customer makes them."""
    headers = {"Authorization": f"Bearer {stack.fixture.token}"}
    ids = []
    with httpx.Client(base_url=stack.base, headers=headers, timeout=30) as api:
        for n in range(SUBSCRIPTIONS):
            made = api.post(
                "/webhook", json={"targetUrl": f"{receiver}/s{n}", "events": ["message.status"]}
            )
            made.raise_for_status()
            ids.append(made.json()["webhookId"])
    return ids


def _unsubscribe(stack: Stack, ids: list[str]) -> None:
    headers = {"Authorization": f"Bearer {stack.fixture.token}"}
    with httpx.Client(base_url=stack.base, headers=headers, timeout=30) as api:
        for webhook_id in ids:
            api.delete(f"/webhook/{webhook_id}").raise_for_status()


async def _unfinished(stack: Stack, run: dict[str, Any]) -> int:
    """Messages of the run not yet Read (or Failed), and deliveries still pending.

    A message that is only Sent has events to come: its deliveries are not all
    in the outbox yet, however empty it is.
    """
    start, end = (datetime.fromtimestamp(run[k], UTC) for k in ("startedAt", "endedAt"))
    db = wiring.open_database(stack.settings)
    try:
        async with db.tx(write=False) as tx:
            messages = await tx.session.scalar(
                select(func.count()).where(
                    Message.created_at >= start,
                    Message.created_at < end,
                    Message.status.not_in(("Read", "Failed")),
                )
            )
            deliveries = await tx.session.scalar(
                select(func.count()).where(WebhookDelivery.status == DeliveryStatus.pending)
            )
    finally:
        await db.dispose()
    return (messages or 0) + (deliveries or 0)


async def _deliveries_made(stack: Stack) -> int:
    """Delivery rows in the outbox: the run's own, since the previous subscriptions' went
    with them when they were deleted."""
    db = wiring.open_database(stack.settings)
    try:
        async with db.tx(write=False) as tx:
            count = await tx.session.scalar(select(func.count()).select_from(WebhookDelivery))
    finally:
        await db.dispose()
    return count or 0


def _drain_deliveries(stack: Stack, run: dict[str, Any]) -> float:
    """Wait until every message of the run is Read and no delivery is pending; the seconds."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_SECONDS:
        if asyncio.run(_unfinished(stack, run)) == 0:
            break
        time.sleep(1)
    return round(time.monotonic() - started, 1)


def _difference(after: dict[str, int], before: dict[str, int]) -> dict[int, int]:
    return {int(k): n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}


def _percentile(histogram: dict[int, int], fraction: float) -> int | None:
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= fraction * total:
            return value
    return max(histogram)


def _deliveries(
    before: dict[str, Any], after: dict[str, Any], run: dict[str, Any], expected: int
) -> dict[str, Any]:
    """What arrived at the receiver during a run and its drain."""
    arrived = _difference(after["bySecond"], before["bySecond"])
    lags = _difference(after["lagMs"], before["lagMs"])
    delivered = after["count"] - before["count"]
    # Whole seconds inside the offered window: a rate, not a count cut at its edges.
    first, last = int(run["startedAt"]) + 1, int(run["endedAt"])
    inside = sum(n for second, n in arrived.items() if first <= second < last)
    return {
        "delivered": delivered,
        "expected": expected,
        "allArrived": delivered >= expected,
        "perSecondWhileOffered": round(inside / max(1, last - first), 1),
        "perSecondToLast": round(
            delivered / max(1.0, (max(arrived, default=first) + 1) - run["startedAt"]), 1
        ),
        "lagMs": {"p50": _percentile(lags, 0.5), "p99": _percentile(lags, 0.99)},
        "receiverCpuSeconds": round(after["cpuSeconds"] - before["cpuSeconds"], 2),
    }


def _run(
    stack: Stack, bodies: Path, receiver: str, config: Config, *, subscribed: bool
) -> dict[str, Any]:
    ids = _subscribe(stack, receiver) if subscribed else []
    before = _stats(receiver)
    cpu_before = e2e.cpu_now(stack)
    run = e2e.step(stack, bodies, rate=config.webhook_rate, seconds=config.webhook_seconds)
    e2e.drain(stack, timeout=e2e.DRAIN_SECONDS)
    run["deliveryDrainSeconds"] = _drain_deliveries(stack, run)
    # What the run cost with every delivery it caused made, not only those made in time.
    used = {name: n - cpu_before[name] for name, n in e2e.cpu_now(stack).items()}
    run["cpuMsPerMessageThroughDrain"] = {
        name: round(1000 * n / max(1, run["accepted"]), 2) for name, n in used.items()
    }
    after = _stats(receiver)
    # One per status change and subscription: three changes a message, or two when
    # Read is reported before Delivered (Read implies it, and is one change).
    expected = asyncio.run(_deliveries_made(stack))
    run["webhooks"] = _deliveries(before, after, run, expected)
    run["webhooks"]["eventsPerMessage"] = round(expected / max(1, len(ids) * run["accepted"]), 3)
    if ids:
        _unsubscribe(stack, ids)
        hooks = run["webhooks"]
        print(
            f"    {len(ids)} subscriptions: {hooks['delivered']} of {expected} deliveries"
            f" ({hooks['perSecondWhileOffered']:.0f}/s while offered), lag p50/p99"
            f" {hooks['lagMs']['p50']} / {hooks['lagMs']['p99']} ms,"
            f" drained in {run['deliveryDrainSeconds']} s",
            flush=True,
        )
    return run


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    with e2e.cloud_stack(workdir) as (stack, bodies), _receiver(stack) as receiver:
        print(
            f"  webhooks: {config.webhook_rate:.0f}/s for {config.webhook_seconds:.0f} s,"
            f" 0 and {SUBSCRIPTIONS} subscriptions alternated {config.repetitions} times",
            flush=True,
        )
        for _ in range(config.repetitions):
            for subscribed in (False, True):
                run = _run(stack, bodies, receiver, config, subscribed=subscribed)
                runs["with" if subscribed else "without"].append(run)
    ratios = [
        w["readPerSecond"] / max(1.0, o["readPerSecond"])
        for o, w in zip(runs["without"], runs["with"], strict=True)
    ]
    with_runs = runs["with"]

    def median(key: str) -> float:
        return round(statistics.median(r["webhooks"][key] for r in with_runs), 1)

    def cpu(name: str, found: list[dict[str, Any]]) -> float:
        return round(statistics.median(r["cpuMsPerMessageThroughDrain"][name] for r in found), 2)

    return {
        "offeredRps": config.webhook_rate,
        "seconds": config.webhook_seconds,
        "subscriptions": SUBSCRIPTIONS,
        "readPerSecond": {
            name: round(statistics.median(r["readPerSecond"] for r in found), 1)
            for name, found in runs.items()
        },
        "ratios": [round(r, 3) for r in ratios],
        "ratio": round(statistics.median(ratios), 3),
        "deliveriesPerSecond": median("perSecondWhileOffered"),
        "deliveriesPerSecondToLast": median("perSecondToLast"),
        "allArrived": all(r["webhooks"]["allArrived"] for r in with_runs),
        "lagMs": {
            p: statistics.median(r["webhooks"]["lagMs"][p] or 0 for r in with_runs)
            for p in ("p50", "p99")
        },
        "cpuMsPerMessageThroughDrain": {
            name: {kind: cpu(name, found) for kind, found in runs.items()}
            for name in ("serve", "graph", "receiver", "machine")
        },
        "runs": runs,
    }
