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

import contextlib
import statistics
import subprocess
from typing import Any

from benchmarks import fixtures, floor, loadgen, stalls
from benchmarks.config import Config
from benchmarks.stack import Stack, recreate_postgres_database

ENDPOINTS = ("whoami", "get_message", "webhook_status", "post_message")
# Each endpoint's floor (benchmarks/floor.py): a write against the bare committed
# insert, a read against the bare GET.
FLOOR_OF = {
    "whoami": "get",
    "get_message": "get",
    "webhook_status": "post",
    "post_message": "post",
}


def measure(config: Config, stack: Stack) -> dict[str, Any]:
    """Every endpoint over ``/whoami`` and over the floor, repetition by repetition."""
    work = stack.workdir
    with contextlib.ExitStack() as servers:
        on_sqlite = f"sqlite:///{work}/floor.db"
        sqlite_floor = servers.enter_context(
            floor.serving(work / "floor", database=on_sqlite, name="floor-sqlite")
        )
        postgres_floor = None
        try:
            recreate_postgres_database(config.postgres_url)
            postgres_floor = servers.enter_context(
                floor.serving(work / "floor", database=config.postgres_url, name="floor-pg")
            )
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            print(f"  floor on PostgreSQL not measured: {exc}", flush=True)
        return _measure(config, stack, sqlite_floor=sqlite_floor, postgres_floor=postgres_floor)


def _measure(
    config: Config, stack: Stack, *, sqlite_floor: str, postgres_floor: str | None
) -> dict[str, Any]:
    fixture = stack.fixture
    work = stack.workdir
    bodies = fixtures.write_message_bodies(
        work / "bodies.jsonl", account=fixture.sandbox_account, contacts=fixture.sandbox_contacts
    )
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ENDPOINTS}
    per_rep: dict[str, list[float]] = {name: [] for name in ENDPOINTS[1:]}
    floor_runs: dict[str, list[dict[str, Any]]] = {"get": [], "post": [], "postPostgres": []}
    over_floor: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    floor_scripts = {
        "get": (sqlite_floor, "get.lua", {"BENCH_PATH": "/ok"}),
        "post": (sqlite_floor, "post_message.lua", {"BENCH_BODIES": str(bodies)}),
    }
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
        # The floor before and after our own runs, each endpoint over their mean.
        floor_before = {
            kind: _floor(config, *script, into=floor_runs[kind])
            for kind, script in floor_scripts.items()
        }
        before = _saturate(config, stack, scripts["whoami"], into=runs["whoami"])
        ours, whoami = {}, [before]
        for name in ENDPOINTS[1:]:
            rps = _saturate(config, stack, scripts[name], into=runs[name])
            after = _saturate(config, stack, scripts["whoami"], into=runs["whoami"])
            per_rep[name].append(rps / ((before + after) / 2))
            print(
                f"  ceiling rep {rep + 1} {name}: {rps:.0f} req/s between /whoami"
                f" {before:.0f} and {after:.0f}: {per_rep[name][-1]:.3f}",
                flush=True,
            )
            ours[name] = rps
            whoami.append(after)
            before = after
        ours["whoami"] = statistics.mean(whoami)
        floor_after = {
            kind: _floor(config, *script, into=floor_runs[kind])
            for kind, script in floor_scripts.items()
        }
        for name, rps in ours.items():
            kind = FLOOR_OF[name]
            over_floor[name].append(rps / ((floor_before[kind] + floor_after[kind]) / 2))
        print(
            "  floor rep {}: GET {:.0f}/{:.0f}, committed POST {:.0f}/{:.0f} req/s; {}".format(
                rep + 1,
                floor_before["get"],
                floor_after["get"],
                floor_before["post"],
                floor_after["post"],
                ", ".join(f"{n} {v[-1]:.3f}" for n, v in over_floor.items()),
            ),
            flush=True,
        )
        if postgres_floor is not None:
            pg = (postgres_floor, "post_message.lua", {"BENCH_BODIES": str(bodies)})
            rps = _floor(config, *pg, into=floor_runs["postPostgres"])
            print(f"  floor rep {rep + 1}: committed POST on PostgreSQL {rps:.0f}/s", flush=True)
    ratios: dict[str, Any] = {
        name: {"median": round(statistics.median(values), 3), "runs": values}
        for name, values in per_rep.items()
    }
    return {
        "rps": {n: round(statistics.median(r["rps"] for r in runs[n]), 1) for n in ENDPOINTS},
        "ratios": ratios,
        "runs": runs,
        "floor": {
            "rps": {
                kind: round(statistics.median(r["rps"] for r in found), 1)
                for kind, found in floor_runs.items()
                if found
            },
            "ratios": {
                name: {"median": round(statistics.median(values), 3), "runs": values}
                for name, values in over_floor.items()
            },
            "runs": floor_runs,
        },
    }


def _floor(
    config: Config, base: str, lua: str, extra: dict[str, str], *, into: list[dict[str, Any]]
) -> float:
    """One saturating run against a floor server (which has no backlog to wait for)."""
    env = {"BENCH_TOKEN": "-", **extra}  # the scripts send one; the floor ignores it
    result = loadgen.wrk(
        base, lua, seconds=config.ceiling_seconds, connections=config.connections, env=env
    )
    into.append(result)
    return float(result["rps"])


def _saturate(
    config: Config, stack: Stack, script: tuple[str, dict[str, str]], *, into: list[dict[str, Any]]
) -> float:
    """One saturating run, then wait for the server to work off what it accepted.

    So the next run starts on an idle server and this run's sending and
    reporting is not charged to it; the wait is kept with the run
    (``quietWaitSeconds``: after ``POST /message`` it is the drain of its backlog).
    """
    lua, extra = script
    started = stack.server.cpu_seconds()
    result = loadgen.wrk(
        stack.base,
        lua,
        seconds=config.ceiling_seconds,
        connections=config.connections,
        env={"BENCH_TOKEN": stack.fixture.token, **extra},
    )
    ran = stack.server.cpu_seconds()
    result["quietWaitSeconds"] = round(stack.server.wait_until_quiet(), 1)
    # The server's CPU per request during the run and in the wait after it: under a
    # flood of accepts, how much sending kept up, and what each message cost in all.
    requests = max(1, result["requests"])
    result["cpuMsPerRequestInRun"] = round(1000 * (ran - started) / requests, 3)
    result["cpuMsPerRequestAfter"] = round(1000 * (stack.server.cpu_seconds() - ran) / requests, 3)
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
            before = stalls.mark(stack)
            run = loadgen.open_loop(
                url=stack.base,
                rate=rate,
                seconds=config.latency_seconds,
                token=fixture.token,
                bodies=bodies,
            )
            # The server's own account of its loop's stalls beside the tail they make.
            run["stalls"] = stalls.since(stack, before)
            reps.append(run)
        summary = {
            key: round(statistics.median(r[key] for r in reps), 2)
            for key in ("p50Ms", "p99Ms", "p999Ms", "achievedRps")
        }
        results[label] = {"rate": rate, **summary, "runs": reps}
        print(f"  latency {label} ({rate}/s): {summary}", flush=True)
        for number, run in enumerate(reps, start=1):
            seen = run["stalls"]
            print(
                f"    rep {number}: p99 {run['p99Ms']} ms, {seen['stalls']} stalls of the loop"
                f" over 100 ms ({seen['stalledSeconds']} s); {seen['lines']}",
                flush=True,
            )
    return results
