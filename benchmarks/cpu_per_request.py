"""The server's CPU per request of each hot endpoint, the API alone.

    python -m benchmarks.cpu_per_request [seconds]

wrk saturates ``GET /whoami``, ``POST /message`` and a signed status webhook in
turn on the embedded default with the dispatcher off, and the server process's
CPU time over each run is divided by the requests it answered. With nothing
sent, the figures are each path's own cost; this is how every change to the hot
path was judged before it was kept (docs/benchmarks.md). Nothing else should
run meanwhile.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks import fixtures, loadgen
from benchmarks.stack import STEADY_CUSTOMERS, STEADY_ENV, running


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 8
    with (
        tempfile.TemporaryDirectory() as tmp,
        running(Path(tmp), contacts=STEADY_CUSTOMERS, env=STEADY_ENV, dispatch=False) as stack,
    ):
        fixture = stack.fixture
        bodies = fixtures.write_message_bodies(
            Path(tmp) / "bodies.jsonl",
            account=fixture.sandbox_account,
            contacts=fixture.sandbox_contacts,
        )
        count = int(seconds * 2500)
        fixtures.add_sent_messages_sync(stack.settings, fixture, count=count, tag="c")
        hooks = fixtures.write_webhooks(Path(tmp) / "hooks.txt", fixture, count=count, tag="c")
        runs = {
            "GET /whoami": ("get.lua", {"BENCH_PATH": "/whoami"}),
            "POST /message": ("post_message.lua", {"BENCH_BODIES": str(bodies)}),
            "POST status webhook": ("webhook.lua", {"BENCH_WEBHOOKS": str(hooks)}),
        }
        for name, (script, env) in runs.items():
            before = stack.server.cpu_seconds()
            result = loadgen.wrk(
                stack.base,
                script,
                seconds=seconds,
                connections=32,
                env={"BENCH_TOKEN": fixture.token, **env},
            )
            cpu = stack.server.cpu_seconds() - before  # the server is idle outside the run
            per_request = 1000 * cpu / max(1, result["requests"])
            print(f"{name:20} {result['rps']:7.0f} req/s  {per_request:.3f} ms CPU/request")


if __name__ == "__main__":
    main()
