"""End to end: the highest rate that reaches Read, sustained, through the Cloud API double.

Each message is accepted by ``POST /message``, sent by the dispatcher to the
Graph API double (``msgboxx sandbox serve``, a separate process) and reported
back by signed status webhooks (sent, delivered, read; the double batches those
that fall due together, as Meta does). Messages are offered open-loop at a
rising ladder of rates; a rate is *sustained* when the client got every answer
it asked for and at least 99% of the messages accepted during the step reached
Read within a few seconds of its end, so no backlog builds. The highest
sustained rate is then held for ``BENCH_E2E_SECONDS`` (60 s in a full run), or
the highest rung below it that lasts that long; that run gives the figure and
the lag from accept to Sent.

Saturating the accept path instead (as the first version did) measures how a
flood of accepts starves sending in the same process, not what the platform
carries: a backlog then grows without bound while little reaches Read.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks import fixtures, loadgen
from benchmarks.config import Config
from benchmarks.stack import STEADY_CUSTOMERS, STEADY_ENV, Stack, running
from msgboxx import wiring
from msgboxx.db import utcnow
from msgboxx.messages.models import Message

LADDER = (100, 150, 200, 250, 300, 400, 500, 600, 700, 800, 900, 1000)
READ_WITHIN = 5.0  # seconds after a step ends for its messages to reach Read
SUSTAINED = 0.99
# A rung that was not sustained can leave a queue of tens of thousands; the next
# step must not start on it, which a 60 s drain did not promise. Each step also
# records the queue it started on (pendingBefore).
DRAIN_SECONDS = 300


async def messages_in(stack: Stack, start: datetime, end: datetime) -> dict[str, Any]:
    db = wiring.open_database(stack.settings)
    try:
        async with db.tx(write=False) as tx:
            rows = (
                await tx.session.execute(
                    select(Message.created_at, Message.sent_at, Message.read_at).where(
                        Message.created_at >= start, Message.created_at < end
                    )
                )
            ).all()
            pending = await tx.session.scalar(
                select(func.count()).where(Message.status == "Pending")
            )
    finally:
        await db.dispose()
    limit = end + timedelta(seconds=READ_WITHIN)
    lags = sorted((sent - created).total_seconds() for created, sent, _ in rows if sent)
    read = sum(1 for _, _, read_at in rows if read_at is not None and read_at <= limit)
    return {"accepted": len(rows), "read": read, "pending": pending or 0, "lags": lags}


def percentile_ms(lags: list[float], fraction: float) -> float | None:
    if not lags:
        return None
    return round(lags[min(len(lags) - 1, int(fraction * len(lags)))] * 1000, 1)


def drain(stack: Stack, *, timeout: float) -> None:
    """Wait for any backlog to leave, so each step starts from an empty queue."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = utcnow()
        if asyncio.run(messages_in(stack, now, now))["pending"] == 0:
            break
        time.sleep(1)


def cpu_now(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each process of the stack, the load generator and the machine.

    The open-loop client is a child that has exited by the time it is read, so
    its CPU is among this process's reaped children.
    """
    used = {name: process.cpu_seconds() for name, process in stack.processes.items()}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["client"] = children.ru_utime + children.ru_stime
    # Every process on the machine (PostgreSQL's backends among them), less the
    # time the hypervisor gave to others.
    user, nice, system, _idle, _iowait, irq, softirq = map(
        int, Path("/proc/stat").read_text().split()[1:8]
    )
    used["machine"] = (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    return used


def step(stack: Stack, bodies: Path, *, rate: float, seconds: float) -> dict[str, Any]:
    now = utcnow()
    queued_before = asyncio.run(messages_in(stack, now, now))["pending"]
    cpu_before = cpu_now(stack)
    start = utcnow()
    client = loadgen.open_loop(
        url=stack.base, rate=rate, seconds=seconds, token=stack.fixture.token, bodies=bodies
    )
    end = utcnow()
    time.sleep(READ_WITHIN)
    # The step's whole cost on the machine, its reports included: what one
    # message takes of the two cores, by process (the profile-free half of
    # explaining how far end to end is from 1,000/s).
    cpu_used = {name: used - cpu_before[name] for name, used in cpu_now(stack).items()}
    found = asyncio.run(messages_in(stack, start, end))
    # Every message accepted, and on schedule: a server that falls behind makes the
    # client finish late, which spreads the same messages over a longer time.
    answered = client["ok"] >= 0.99 * rate * seconds and client["achievedRps"] >= 0.97 * rate
    reached = found["read"] >= SUSTAINED * max(1, found["accepted"])
    seconds_run = (end - start).total_seconds()
    result = {
        "offeredRps": rate,
        "sustained": answered and reached,
        "accepted": found["accepted"],
        "acceptedPerSecond": round(found["accepted"] / seconds_run, 1),
        "readPerSecond": round(found["read"] / seconds_run, 1),
        "readFraction": round(found["read"] / max(1, found["accepted"]), 4),
        "pendingBefore": queued_before,
        "pendingAfter": found["pending"],
        "startedAt": start.timestamp(),
        "endedAt": end.timestamp(),
        "lagToSentMs": {
            "p50": percentile_ms(found["lags"], 0.5),
            "p99": percentile_ms(found["lags"], 0.99),
        },
        "cpuMsPerMessage": {
            name: round(1000 * used / max(1, found["accepted"]), 2)
            for name, used in cpu_used.items()
        },
        "client": client,
    }
    verdict = "sustained" if result["sustained"] else "NOT sustained"
    cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in result["cpuMsPerMessage"].items())
    print(
        f"    {rate:.0f}/s offered: {result['readPerSecond']:.0f} read/s, {verdict}"
        f" (CPU ms per message: {cpu})",
        flush=True,
    )
    return result


@contextmanager
def cloud_stack(workdir: Path, *, database_url: str | None = None) -> Iterator[tuple[Stack, Path]]:
    """msgboxx sending to the Graph double in steady state, and the bodies to offer it.

    On PostgreSQL as API and worker in separate processes, as it is scaled out.
    """
    with running(
        workdir,
        database_url=database_url,
        separate_worker=database_url is not None,
        graph_double=True,
        contacts=STEADY_CUSTOMERS,
        env=STEADY_ENV,
    ) as stack:
        bodies = fixtures.write_message_bodies(
            workdir / "bodies.jsonl",
            account=stack.fixture.cloud_account,
            contacts=stack.fixture.cloud_contacts,
        )
        yield stack, bodies


def _one(config: Config, workdir: Path, *, postgres: bool) -> dict[str, Any]:
    store = "postgres" if postgres else "sqlite"
    with cloud_stack(workdir, database_url=config.postgres_url if postgres else None) as (
        stack,
        bodies,
    ):
        step_seconds = 8.0 if config.quick else 20.0
        print(f"  e2e {store}: ladder of {step_seconds:.0f} s steps", flush=True)
        ladder: list[dict[str, Any]] = []
        sustained: list[float] = []
        for rate in LADDER:
            rung = step(stack, bodies, rate=rate, seconds=step_seconds)
            ladder.append(rung)
            drain(stack, timeout=DRAIN_SECONDS)
            if not rung["sustained"]:
                break
            sustained.append(rate)
        # Hold the highest rung for the full length; if it does not last, the next
        # one down, and so on: on a slow day a queue can build only after 20 s.
        held: float = LADDER[0]
        final: dict[str, Any] = {}
        for held in reversed(sustained or [LADDER[0]]):
            print(f"  e2e {store}: holding {held}/s for {config.e2e_seconds:.0f} s", flush=True)
            final = step(stack, bodies, rate=held, seconds=config.e2e_seconds)
            drain(stack, timeout=DRAIN_SECONDS)
            if final["sustained"]:
                break
        overload = _overload(stack, bodies, config=config, sustained=sustained)
        cpu = {name: round(p.cpu_seconds(), 1) for name, p in stack.processes.items()}
    return {
        "readPerSecond": final["readPerSecond"] if final["sustained"] else 0.0,
        "heldRps": held,
        "heldSeconds": config.e2e_seconds,
        "held": final,
        "ladder": ladder,
        "overload": overload,
        "cpuSecondsByProcess": cpu,
    }


def _overload(
    stack: Stack, bodies: Path, *, config: Config, sustained: list[float]
) -> dict[str, Any]:
    """The first rate the ladder did not sustain, offered for the full length.

    What a flood above the limit does: with back-pressure the accepts slow to the
    rate sending carries (the client finishes late, Read keeps up with what was
    accepted, nothing piles up); without it, accepts take the loop and sending
    falls behind for as long as the flood lasts.
    """
    above = [rate for rate in LADDER if rate not in sustained]
    rate = above[0] if above else LADDER[-1] * 1.25
    print(f"  e2e: offering {rate:.0f}/s, above the limit, for {config.e2e_seconds:.0f} s")
    result = step(stack, bodies, rate=rate, seconds=config.e2e_seconds)
    drain(stack, timeout=DRAIN_SECONDS)
    return result


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"sqlite": _one(config, workdir / "sqlite", postgres=False)}
    if config.postgres_url:
        try:
            results["postgres"] = _one(config, workdir / "postgres", postgres=True)
        except Exception as exc:  # no PostgreSQL here: say so, keep the other figures
            results["postgres"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results
