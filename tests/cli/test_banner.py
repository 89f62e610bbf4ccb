"""``msgboxx serve`` greets a person at a terminal; piped, its stderr stays JSON lines."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import orjson

from tests.processes import MSGBOXX, environment, free_port, serving


def test_serve__prints_where_and_how_in_to_a_terminal(data_dir: Path) -> None:
    port = free_port()
    data_dir.mkdir(parents=True)
    env = environment(data_dir, MSGBOXX_PORT=str(port))
    env.pop("MSGBOXX_DATABASE_URL", None)  # the embedded default, with its demo
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [MSGBOXX, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=follower
    )
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"demo login" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                seen += os.read(leader, 4096)
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.close(leader)
    text = seen.decode()
    assert f"http://127.0.0.1:{port}/docs" in text
    assert f"http://127.0.0.1:{port}/app/" in text  # the agents' web inbox
    assert "demo@msgboxx.local / demo-password" in text


def test_serve__piped_stderr_is_json_lines_only(data_dir: Path) -> None:
    with serving(data_dir):
        pass
    (log,) = data_dir.parent.glob("serve-*.log")
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines and all(isinstance(orjson.loads(line), dict) for line in lines)
