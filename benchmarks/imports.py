"""Import: a 100,000-row CSV of contacts through ``POST /contact/import``, rows per second.

The file is what a business exports from a CRM: numbers in every usual form
(E.164, national with spaces, ``0044``, international with spaces), about 2%
not numbers at all and 1% repeats of an earlier number written another way,
a name, an email for every third row, tags, and two attribute columns. It is
uploaded by the SDK (what ``msgboxx contacts import`` does) to a real
``msgboxx serve`` on SQLite and, with a PostgreSQL server, on PostgreSQL; each
repetition imports its own numbers into the same account, so every one
creates 100,000 contacts (into an account already holding the previous
repetitions'). The time is the whole call: upload, reading, writing, commit.
The server's CPU over the call is recorded beside it.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.config import Config
from benchmarks.stack import running
from msgboxx.client import Client

TARGET_SECONDS = 60.0


def write_csv(path: Path, *, rows: int, rep: int) -> dict[str, int]:
    """The file of repetition ``rep`` (its own numbers); how many rows are bad or repeated."""
    chooser = random.Random(7 + rep)
    lines = ["phone,name,email,tags,order,city"]
    written: list[str] = []
    invalid = repeated = 0
    for i in range(rows):
        pick = chooser.random()
        if pick < 0.02:
            invalid += 1
            number = chooser.choice(["12345", "not a number", "+44 12", "0000"])
        elif pick < 0.03 and written:
            repeated += 1
            number = "0" + chooser.choice(written)[3:]
        else:
            e164 = f"+4479{rep % 10}{i:07d}"
            written.append(e164)
            national = e164[3:]
            spaced = national[:4] + " " + national[4:]
            number = (e164, "0" + spaced, "0044" + national, "+44 " + spaced)[i % 4]
        email = f"customer{i}@example.com" if i % 3 == 0 else ""
        tags = ("vip|leeds", "newsletter", "", "vip")[i % 4]
        lines.append(f"{number},Customer {i},{email},{tags},A-{i},City {i % 50}")
    path.write_text("\n".join(lines) + "\n")
    return {"invalid": invalid, "repeated": repeated}


def _one(config: Config, workdir: Path, *, postgres: bool) -> dict[str, Any]:
    store = "postgres" if postgres else "sqlite"
    database_url = config.postgres_url if postgres else None
    runs: list[dict[str, Any]] = []
    with running(workdir, database_url=database_url, contacts=1, dispatch=False) as stack:
        client = Client(stack.base, token=stack.fixture.token, timeout=60)
        with client:
            for rep in range(config.repetitions):
                path = workdir / f"contacts-{rep}.csv"
                made = write_csv(path, rows=config.import_rows, rep=rep)
                cpu_before = stack.server.cpu_seconds()
                started = time.perf_counter()
                report = client.contacts.import_csv(
                    path, api_account_id=stack.fixture.sandbox_account
                )
                took = time.perf_counter() - started
                cpu = stack.server.cpu_seconds() - cpu_before
                expected_rejected = made["invalid"] + made["repeated"]
                if report.rejected != expected_rejected or report.rows != config.import_rows:
                    raise RuntimeError(f"{store}: unexpected report {report} for {made}")
                runs.append(
                    {
                        "seconds": round(took, 2),
                        "rowsPerSecond": round(report.rows / took),
                        "serverCpuSeconds": round(cpu, 2),
                        "created": report.created,
                        "rejected": report.rejected,
                        "fileBytes": path.stat().st_size,
                    }
                )
                print(f"  import {store} rep {rep + 1}: {runs[-1]}", flush=True)
    seconds = statistics.median(run["seconds"] for run in runs)
    return {
        "rows": config.import_rows,
        "medianSeconds": seconds,
        "rowsPerSecond": round(config.import_rows / seconds),
        "runs": runs,
    }


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"sqlite": _one(config, workdir / "sqlite", postgres=False)}
    if config.postgres_url:
        try:
            results["postgres"] = _one(config, workdir / "postgres", postgres=True)
        except Exception as exc:  # the SQLite figure stands on its own
            results["postgres"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results
