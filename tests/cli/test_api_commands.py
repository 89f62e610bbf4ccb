"""``msgboxx webhook listen``, ``send`` and ``messages tail`` as real processes on a real server."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.processes import MSGBOXX, cli, environment, serving
from tests.support import fresh_number

ON_POSTGRES = bool(os.environ.get("MSGBOXX_TEST_DATABASE_URL"))
DEMO = ("demo@msgboxx.local", "demo-password", "+447777123156")


def own_organisation(data_dir: Path) -> tuple[str, str, str]:
    """An admin and a sandbox number of a new organisation, made with the admin CLI."""
    org = cli(data_dir, "admin", "--create", "org", "create", "Listener Ltd").stdout.strip()
    email = f"dev-{uuid.uuid4().hex[:8]}@example.com"
    made = cli(
        data_dir,
        *("admin", "user", "create", email, "--org", org, "--role", "admin", "--password-stdin"),
        stdin="listener-password\n",
    )
    assert made.returncode == 0, made.stderr
    number = fresh_number()
    made = cli(
        data_dir, "admin", "apiaccount", "create", "--org", org, "--phone", number, "--name", "L"
    )
    assert made.returncode == 0, made.stderr
    return email, "listener-password", number


class Running:
    """A CLI process whose stdout lines are read as they come."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        self.process = process
        self.log = log
        self.lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout
        threading.Thread(target=lambda: [self.lines.put(x) for x in stdout], daemon=True).start()

    def stderr(self) -> str:
        return self.log.read_text()

    def wait_for_stderr(self, text: str, *, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while text not in self.stderr():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never printed {text!r}; stderr: {self.stderr()}")
            time.sleep(0.05)

    def next_line(self, *, within: float = 30) -> str:
        try:
            return self.lines.get(timeout=within)
        except queue.Empty:
            raise AssertionError(f"no output; stderr: {self.stderr()}") from None


@contextmanager
def running(data_dir: Path, *args: str, **env: str) -> Iterator[Running]:
    log = data_dir.parent / f"cli-{uuid.uuid4().hex[:6]}.log"
    with log.open("w") as err:
        process = subprocess.Popen(
            [MSGBOXX, *args],
            env=environment(data_dir, **env),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        try:
            yield Running(process, log)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def api(base: str, email: str, password: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/oauth/token", json={"username": email, "password": password}
    ).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_webhook_listen__prints_verified_events_and_unsubscribes_on_exit(data_dir: Path) -> None:
    """On SQLite this is the embedded default (``make run``): local targets need no setting."""
    server_env: dict[str, str] = {}
    if ON_POSTGRES:  # no demo there: an organisation of our own, and local targets allowed
        email, password, number = own_organisation(data_dir)
        server_env = {"MSGBOXX_DEMO": "false", "MSGBOXX_WEBHOOK_ALLOW_PRIVATE": "true"}
    else:
        email, password, number = DEMO
    with serving(data_dir, **server_env) as base, api(base, email, password) as client:
        login = {"MSGBOXX_URL": base, "MSGBOXX_USERNAME": email, "MSGBOXX_PASSWORD": password}
        events = "message.inbound,contact.created"
        with running(data_dir, "webhook", "listen", "--events", events, "--json", **login) as cli_:
            cli_.wait_for_stderr("Ready")
            (hook,) = client.get("/webhook").json()["items"]
            assert sorted(hook["events"]) == sorted(events.split(","))
            customer = fresh_number()
            arrived = client.post(
                "/sandbox/inbound", json={"from": customer, "to": number, "text": "Open today?"}
            )
            assert arrived.status_code == 202, arrived.text
            printed: dict[str, Any] = {}
            while len(printed) < 2:
                event = orjson.loads(cli_.next_line())
                printed[event["type"]] = event["data"]
            assert printed["message.inbound"]["message"] == "Open today?"
            assert printed["contact.created"]["mobileNumber"] == customer
            cli_.process.send_signal(signal.SIGINT)
            assert cli_.process.wait(timeout=30) == 0, cli_.stderr()
            assert f"unsubscribed webhook {hook['webhookId']}" in cli_.stderr()
        assert client.get("/webhook").json()["items"] == []


def test_send_and_tail__a_message_followed_to_read(data_dir: Path) -> None:
    email, password, number = own_organisation(data_dir)
    with serving(data_dir, MSGBOXX_DEMO="false") as base, api(base, email, password) as client:
        login = {"MSGBOXX_URL": base, "MSGBOXX_USERNAME": email, "MSGBOXX_PASSWORD": password}
        customer = fresh_number()
        never_wrote = cli(data_dir, "send", "--to", customer, "--text", "Hello", **login)
        assert never_wrote.returncode != 0 and "template" in never_wrote.stderr
        client.post("/sandbox/inbound", json={"from": customer, "to": number, "text": "Hi"})
        with running(data_dir, "messages", "tail", "--json", "--interval", "0.2", **login) as tail:
            tail.wait_for_stderr("following")
            sent = cli(data_dir, "send", "--to", customer, "--text", "Your order is ready", **login)
            assert sent.returncode == 0, sent.stderr
            message_id = sent.stdout.strip()
            statuses: list[str] = []
            while "Read" not in statuses:
                line = orjson.loads(tail.next_line())
                if line["messageId"] == message_id:
                    assert line["message"] == "Your order is ready"
                    statuses.append(line["status"])
            assert statuses[-1] == "Read" and len(statuses) == len(set(statuses))
        shown = client.get(f"/message/{message_id}").json()
        assert shown["status"] == "Read" and shown["message"] == "Your order is ready"
