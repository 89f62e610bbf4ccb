"""A real S3-compatible server for tests: moto's server mode, in a process of its own.

A process, not moto's in-process thread: the server keeps every object in its
own memory, which would otherwise count against the client's in the tests
that bound how much memory a 100 MB upload takes. Under CI=true a server that
cannot start fails the tests that need it; elsewhere they skip with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.processes import free_port

REGION = "us-east-1"
ACCESS_KEY_ID = "msgboxx-test"
SECRET_ACCESS_KEY = "msgboxx-test-secret"


def unavailable(reason: str) -> None:
    """Fail under CI, skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the S3 test server is needed under CI=true: {reason}")
    pytest.skip(reason)


@contextmanager
def running(log_folder: Path) -> Iterator[str]:
    """``python -m moto.server`` on a free loopback port; yields its endpoint URL."""
    port = free_port()
    log_path = log_folder / f"moto-{port}.log"
    with log_path.open("w") as log:  # a file, not a pipe: a full pipe would stall it
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        endpoint = f"http://127.0.0.1:{port}"
        try:
            _wait_until_serving(process, endpoint, log_path)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            unavailable(f"moto's server exited ({process.returncode}): {log.read_text()[-1500:]}")
        try:
            httpx.get(f"{endpoint}/moto-api/", timeout=1)
            return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            unavailable(f"moto's server did not answer within 30 s: {log.read_text()[-1500:]}")
        time.sleep(0.1)
