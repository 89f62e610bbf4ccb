"""Real msgboxx processes for tests: the CLI, and ``msgboxx serve`` on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

MSGBOXX = str(Path(sys.executable).with_name("msgboxx"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSGBOXX_")}
    env["MSGBOXX_DATA_DIR"] = str(data_dir)
    database_url = os.environ.get("MSGBOXX_TEST_DATABASE_URL")
    if database_url:
        env["MSGBOXX_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def cli(
    data_dir: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MSGBOXX, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(data_dir, **env),
        timeout=60,
        check=False,
    )


@contextmanager
def serving(data_dir: Path, *args: str, **env: str) -> Iterator[str]:
    """``msgboxx serve`` as a user starts it; yields its base URL."""
    with serving_process(data_dir, *args, **env) as (_process, base):
        yield base


@contextmanager
def serving_process(
    data_dir: Path, *args: str, **env: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``msgboxx serve [args]`` as a user starts it; yields the process and its base URL."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"serve-{port}.log"
    log = log_path.open("w")  # a file, not a pipe: a full pipe would stall the server
    process = subprocess.Popen(
        [MSGBOXX, "serve", *args],
        env=environment(data_dir, MSGBOXX_PORT=str(port), **env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a machine shared by several test runs the imports alone took 30 s.
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"msgboxx serve exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("msgboxx serve did not become ready")
            time.sleep(0.1)
        yield process, base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
