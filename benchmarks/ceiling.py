"""Accept ceilings: each endpoint's saturated throughput over ``GET /whoami``'s, same run.

``/whoami`` does only what every authenticated request does (token check and
user lookup), so each ratio says how much of the server's capacity the
endpoint's own work leaves.
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
    for rep in range(config.repetitions):
        # Every report in a run is for a different message, each a real Sent -> Delivered.
        count = int(config.ceiling_seconds * 2500)
        fixtures.add_sent_messages_sync(stack.settings, fixture, count=count, tag=f"r{rep}")
        hooks = fixtures.write_webhooks(
            work / f"hooks-{rep}.txt", fixture, count=count, tag=f"r{rep}"
        )
        common = {"BENCH_TOKEN": fixture.token}
        for name in ENDPOINTS:
            stack.server.wait_until_quiet()  # each endpoint measured on an idle server
            env = dict(common)
            if name == "whoami":
                script, env["BENCH_PATH"] = "get.lua", "/whoami"
            elif name == "get_message":
                script, env["BENCH_PATH"] = "get.lua", f"/message/{fixture.message_id}"
            elif name == "webhook_status":
                script, env["BENCH_WEBHOOKS"] = "webhook.lua", str(hooks)
            else:
                script, env["BENCH_BODIES"] = "post_message.lua", str(bodies)
            result = loadgen.wrk(
                stack.base,
                script,
                seconds=config.ceiling_seconds,
                connections=config.connections,
                env=env,
            )
            runs[name].append(result)
            print(f"  ceiling rep {rep + 1} {name}: {result['rps']:.0f} req/s", flush=True)
    ratios: dict[str, Any] = {}
    for name in ENDPOINTS[1:]:
        per_rep = [r["rps"] / b["rps"] for r, b in zip(runs[name], runs["whoami"], strict=True)]
        ratios[name] = {"median": round(statistics.median(per_rep), 3), "runs": per_rep}
    return {
        "rps": {n: round(statistics.median(r["rps"] for r in runs[n]), 1) for n in ENDPOINTS},
        "ratios": ratios,
        "runs": runs,
    }


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
