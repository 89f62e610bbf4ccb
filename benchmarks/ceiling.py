"""Accept ceilings: each endpoint's saturated throughput over ``GET /whoami``'s, same run.

``/whoami`` does only what every authenticated request does (token check and
user lookup), so each ratio says how much of the server's capacity the
endpoint's own work leaves.

Each endpoint's run sits between two ``/whoami`` runs and is divided by their
mean. The host's speed drifts within minutes (a fifth between two runs a
minute apart has been seen); one baseline per repetition, taken before all
three endpoints, charged that drift to whichever endpoint ran furthest from it.
"""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks import fixtures, loadgen
from benchmarks.config import Config
from benchmarks.stack import Stack

ENDPOINTS = ("whoami", "get_message", "webhook_status", "post_message")


def measure(config: Config, stack: Stack) -> dict[str, Any]:
    fixture = stack.fixture
    work = stack.workdir
    bodies = fixtures.write_message_bodies(
        work / "bodies.jsonl", account=fixture.sandbox_account, contacts=fixture.sandbox_contacts
    )
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ENDPOINTS}
    per_rep: dict[str, list[float]] = {name: [] for name in ENDPOINTS[1:]}
    for rep in range(config.repetitions):
        # Every report in a run is for a different message, each a real Sent -> Delivered.
        count = int(config.ceiling_seconds * 2500)
        fixtures.add_sent_messages_sync(stack.settings, fixture, count=count, tag=f"r{rep}")
        hooks = fixtures.write_webhooks(
            work / f"hooks-{rep}.txt", fixture, count=count, tag=f"r{rep}"
        )
        scripts = {
            "whoami": ("get.lua", {"BENCH_PATH": "/whoami"}),
            "get_message": ("get.lua", {"BENCH_PATH": f"/message/{fixture.message_id}"}),
            "webhook_status": ("webhook.lua", {"BENCH_WEBHOOKS": str(hooks)}),
            "post_message": ("post_message.lua", {"BENCH_BODIES": str(bodies)}),
        }
        stack.server.wait_until_quiet()
        before = _saturate(config, stack, scripts["whoami"], into=runs["whoami"])
        for name in ENDPOINTS[1:]:
            rps = _saturate(config, stack, scripts[name], into=runs[name])
            after = _saturate(config, stack, scripts["whoami"], into=runs["whoami"])
            per_rep[name].append(rps / ((before + after) / 2))
            print(
                f"  ceiling rep {rep + 1} {name}: {rps:.0f} req/s between /whoami"
                f" {before:.0f} and {after:.0f}: {per_rep[name][-1]:.3f}",
                flush=True,
            )
            before = after
    ratios: dict[str, Any] = {
        name: {"median": round(statistics.median(values), 3), "runs": values}
        for name, values in per_rep.items()
    }
    return {
        "rps": {n: round(statistics.median(r["rps"] for r in runs[n]), 1) for n in ENDPOINTS},
        "ratios": ratios,
        "runs": runs,
    }


def _saturate(
    config: Config, stack: Stack, script: tuple[str, dict[str, str]], *, into: list[dict[str, Any]]
) -> float:
    """One saturating run, then wait for the server to work off what it accepted.

    So the next run starts on an idle server and this run's sending and
    reporting is not charged to it; the wait is kept with the run
    (``quietWaitSeconds``: after ``POST /message`` it is the drain of its backlog).
    """
    lua, extra = script
    result = loadgen.wrk(
        stack.base,
        lua,
        seconds=config.ceiling_seconds,
        connections=config.connections,
        env={"BENCH_TOKEN": stack.fixture.token, **extra},
    )
    result["quietWaitSeconds"] = round(stack.server.wait_until_quiet(), 1)
    into.append(result)
    return float(result["rps"])


def latency(config: Config, stack: Stack, *, ceiling_rps: float) -> dict[str, Any]:
    """``POST /message`` latency at 200 req/s and at half the measured ceiling."""
    fixture = stack.fixture
    bodies = fixtures.write_message_bodies(
        stack.workdir / "bodies.jsonl",
        account=fixture.sandbox_account,
        contacts=fixture.sandbox_contacts,
    )
    results: dict[str, Any] = {}
    for label, rate in (("at200", 200.0), ("atHalfCeiling", round(ceiling_rps / 2, 1))):
        reps = []
        for _ in range(config.repetitions):
            stack.server.wait_until_quiet()
            reps.append(
                loadgen.open_loop(
                    url=stack.base,
                    rate=rate,
                    seconds=config.latency_seconds,
                    token=fixture.token,
                    bodies=bodies,
                )
            )
        summary = {
            key: round(statistics.median(r[key] for r in reps), 2)
            for key in ("p50Ms", "p99Ms", "p999Ms", "achievedRps")
        }
        results[label] = {"rate": rate, **summary, "runs": reps}
        print(f"  latency {label} ({rate}/s): {summary}", flush=True)
    return results
