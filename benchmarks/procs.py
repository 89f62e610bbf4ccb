"""The processes under test: ``msgboxx serve``, ``worker`` and the Graph API double."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

MSGBOXX = str(Path(sys.executable).with_name("msgboxx"))
SECRET = "benchmark-signing-key-not-for-production-use-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """A clean msgboxx environment: the user's own MSGBOXX_* settings never leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSGBOXX_")}
    env.update(
        MSGBOXX_DATA_DIR=str(data_dir),
        MSGBOXX_SECRET_KEY=SECRET,
        MSGBOXX_DEMO="false",
        MSGBOXX_WEBHOOK_ALLOW_PRIVATE="true",
    )
    env.update(extra)
    return env


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"{self.name} has no VmRSS")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_until_quiet(self, *, busy_below: float = 0.1, timeout: float = 180) -> float:
        """Wait until the process has worked off what it was given: its CPU use
        over a second falls below ``busy_below`` of a core. Returns the wait.

        A measurement that starts while the previous one's messages are still
        being sent and reported would charge that work to the wrong endpoint.
        """
        started = time.monotonic()
        before = self.cpu_seconds()
        while time.monotonic() - started < timeout:
            time.sleep(1)
            now = self.cpu_seconds()
            if now - before < busy_below:
                break
            before = now
        return time.monotonic() - started

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start(
    name: str,
    args: list[str],
    env: dict[str, str],
    log_dir: Path,
    *,
    program: Sequence[str] = (MSGBOXX,),
) -> Process:
    """Start ``msgboxx args`` (or another ``program``), its output in ``log_dir/name.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("w") as out:  # a file, not a pipe: a full pipe would stall the process
        popen = subprocess.Popen([*program, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    return Process(name, popen, log)


def wait_until_up(process: Process, url: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited: {process.log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{process.name} did not come up at {url}")
        time.sleep(0.1)


def run_cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [MSGBOXX, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"msgboxx {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout.strip()
