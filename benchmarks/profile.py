"""Profile the server under saturating load with py-spy, and name where the time goes.

    python -m benchmarks.profile post_message [seconds]
    python -m benchmarks.profile e2e [seconds] [rate]
    python -m benchmarks.profile e2e_postgres [seconds] [rate]

``e2e`` profiles the embedded server while it carries messages to Read through
the Graph API double at a fixed rate (open loop, as the bench's e2e section
offers them): accepts, sending and reports together, as a number's traffic is.
``e2e_postgres`` does the same on PostgreSQL (``BENCH_POSTGRES_URL``, recreated)
with the API and a worker in separate processes, and profiles both.

Writes ``results/profile-<endpoint>.txt`` (collapsed stacks, for flame graph tools)
and prints the functions holding the most samples, inclusive and exclusive.
"""

from __future__ import annotations

import collections
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks import fixtures, loadgen
from benchmarks.config import ROOT, Config
from benchmarks.e2e import cloud_stack
from benchmarks.stack import running

PY_SPY = str(Path(sys.executable).with_name("py-spy"))


def summarise(collapsed: Path, *, top: int = 25) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    exclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue  # a frame name of generated code can hold a newline
        count = int(count_text)
        frames = stack.split(";")
        total += count
        exclusive[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total} samples"]
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        lines.append(f"-- {title}")
        for frame, count in counter.most_common(top):
            lines.append(f"{100 * count / max(total, 1):5.1f}%  {frame[:150]}")
    return "\n".join(lines)


def main() -> None:
    endpoint = sys.argv[1] if len(sys.argv) > 1 else "post_message"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 15
    out = ROOT / "results" / f"profile-{endpoint}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    if endpoint in ("e2e", "e2e_postgres"):
        rate = float(sys.argv[3]) if len(sys.argv) > 3 else 800
        url = Config.from_env().postgres_url if endpoint == "e2e_postgres" else None
        for name, written in _profile_e2e(out, seconds=seconds, rate=rate, database_url=url):
            print(f"== {name}")
            print(summarise(written))
            print(f"collapsed stacks: {written}")
        return
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp)) as stack:
        fixture = stack.fixture
        env = {"BENCH_TOKEN": fixture.token}
        if endpoint == "post_message":
            script = "post_message.lua"
            bodies = fixtures.write_message_bodies(
                Path(tmp) / "b.jsonl",
                account=fixture.sandbox_account,
                contacts=fixture.sandbox_contacts,
            )
            env["BENCH_BODIES"] = str(bodies)
        elif endpoint == "webhook_status":
            script = "webhook.lua"
            count = int(seconds * 2500)
            fixtures.add_sent_messages_sync(stack.settings, fixture, count=count, tag="p")
            hooks = fixtures.write_webhooks(Path(tmp) / "h.txt", fixture, count=count, tag="p")
            env["BENCH_WEBHOOKS"] = str(hooks)
        else:
            script = "get.lua"
            path = {
                "whoami": "/whoami",
                "healthz": "/healthz",
                "get_message": f"/message/{fixture.message_id}",
            }
            env["BENCH_PATH"] = path[endpoint]
        load = threading.Thread(
            target=loadgen.wrk,
            args=(stack.base, script),
            kwargs={"seconds": seconds + 2, "connections": 32, "env": env},
        )
        load.start()
        _record(stack.server.pid, out, seconds=seconds)
        load.join()
    print(summarise(out))
    print(f"collapsed stacks: {out}")


def _record(pid: int, out: Path, *, seconds: float) -> None:
    subprocess.run(
        [
            PY_SPY,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        check=True,
        capture_output=True,
    )


def _profile_e2e(
    out: Path, *, seconds: float, rate: float, database_url: str | None
) -> list[tuple[str, Path]]:
    """Profile every msgboxx process of the e2e stack at once; their stacks, by process."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        cloud_stack(Path(tmp), database_url=database_url) as (stack, bodies),
    ):
        load = threading.Thread(
            target=loadgen.open_loop,
            kwargs={
                "url": stack.base,
                "rate": rate,
                "seconds": seconds + 4,
                "token": stack.fixture.token,
                "bodies": bodies,
            },
        )
        load.start()
        time.sleep(2)  # past the first second's compilations
        written: list[tuple[str, Path]] = [
            (name, out.with_name(f"{out.stem}-{name}.txt"))
            for name in ("serve", "worker")
            if name in stack.processes
        ]
        recorders = [
            threading.Thread(
                target=_record,
                args=(stack.processes[name].pid, path),
                kwargs={"seconds": seconds},
            )
            for name, path in written
        ]
        for recorder in recorders:
            recorder.start()
        for recorder in recorders:
            recorder.join()
        load.join()
    return written


if __name__ == "__main__":
    main()
