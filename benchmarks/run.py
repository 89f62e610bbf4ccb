"""``make bench``: run every section, print a table, write ``results/latest.json``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import campaign, ceiling, e2e, growth, imports, memory, report, webhooks
from benchmarks.config import Config
from benchmarks.stack import STEADY_CUSTOMERS, STEADY_ENV, running


def _python_speed() -> float:
    """Seconds for ten million additions in a Python loop, median of three.

    The machine is shared and its speed changes from day to day and within an
    hour (this loop took 1.78 s, 0.68 s and 1.31 s within 35 minutes of one
    morning): taken at a run's start and end, it says what machine the run's
    absolute numbers belong to.
    """
    times = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        times.append(time.perf_counter() - started)
    return round(sorted(times)[1], 3)


def _machine() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit + ("+dirty" if dirty else ""),
        "cpus": os.cpu_count(),
        "loadAverageAtStart": list(os.getloadavg()),
        "pythonLoop10MSeconds": _python_speed(),
    }


def main() -> None:
    config = Config.from_env()
    results: dict[str, Any] = {"machine": _machine(), "config": _public(config)}
    print(f"msgboxx benchmarks ({'quick' if config.quick else 'full'}): {config.sections}")
    workroot = Path(tempfile.mkdtemp(prefix="msgboxx-bench-"))
    try:
        if "ceiling" in config.sections or "latency" in config.sections:
            with running(workroot / "embedded", contacts=STEADY_CUSTOMERS, env=STEADY_ENV) as stack:
                found = ceiling.measure(config, stack)
                results["ceiling"] = found
                if "latency" in config.sections:
                    rps = found["rps"]["post_message"]
                    results["latency"] = ceiling.latency(config, stack, ceiling_rps=rps)
        if "e2e" in config.sections:
            results["e2e"] = e2e.measure(config, workroot / "e2e")
        if "webhooks" in config.sections:
            results["webhooks"] = webhooks.measure(config, workroot / "webhooks")
        if "growth" in config.sections:
            results["growth"] = growth.measure(config, workroot / "growth")
        if "campaign" in config.sections:
            results["campaign"] = campaign.measure(config, workroot / "campaign")
        if "memory" in config.sections:
            rps = results.get("ceiling", {}).get("rps", {}).get("post_message")
            results["memory"] = memory.measure(config, workroot / "memory", ceiling_rps=rps)
        if "import" in config.sections:
            results["import"] = imports.measure(config, workroot / "import")
    finally:
        results["machine"]["loadAverageAtEnd"] = list(os.getloadavg())
        results["machine"]["pythonLoop10MSecondsAtEnd"] = _python_speed()
        results["machine"]["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        config.out.parent.mkdir(parents=True, exist_ok=True)
        config.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
        if os.environ.get("BENCH_KEEP"):
            print(f"work files kept in {workroot}")
        else:
            shutil.rmtree(workroot, ignore_errors=True)
    print(report.table(results))
    print(f"results written to {config.out}")


def _public(config: Config) -> dict[str, Any]:
    return {name: _plain(getattr(config, name)) for name in config.__slots__}


def _plain(value: object) -> object:
    return str(value) if isinstance(value, Path) else value
