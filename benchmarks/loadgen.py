"""Load generators: wrk (closed loop, saturating) and the open-loop client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "lua"


def wrk(
    url: str,
    script: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Saturate ``url`` for ``seconds``; wrk's own summary, as report.lua prints it."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        url,
    ]
    full_env = {**os.environ, "BENCH_LUA_DIR": str(LUA), "BENCH_THREADS": str(threads)}
    full_env.update(env or {})
    done = subprocess.run(command, env=full_env, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            return result
    raise RuntimeError(f"wrk gave no summary: {done.stdout[-1000:]} {done.stderr[-1000:]}")


def open_loop(
    *,
    url: str,
    rate: float,
    seconds: float,
    token: str,
    bodies: Path,
    connections: int = 64,
) -> dict[str, Any]:
    """POST /message at a fixed rate from a separate process (see openloop.py)."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.openloop",
        "--url",
        url,
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
        "--token",
        token,
        "--bodies",
        str(bodies),
        "--connections",
        str(connections),
    ]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"open-loop client failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
