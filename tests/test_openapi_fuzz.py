"""Schemathesis against our own /openapi.json: no input gives a 5xx or breaks the schema.

Both stores: on PostgreSQL the server gets a database of its own, with the
demo organisation made there through the services (the server itself seeds it
only on the embedded default). Operation by operation, then statefully: the
links between operations (an id one answer gives, the next request uses) let
the fuzzer reach the records it created.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from msgboxx import demo, wiring
from msgboxx.db import migrate
from msgboxx.settings import Settings
from tests import postgres
from tests.processes import serving

EXAMPLES = int(os.environ.get("MSGBOXX_FUZZ_EXAMPLES", "25"))
# Scenarios of the stateful run, each up to STEPS calls long.
SCENARIOS = int(os.environ.get("MSGBOXX_FUZZ_SCENARIOS", "80"))
STEPS = int(os.environ.get("MSGBOXX_FUZZ_STEPS", "8"))
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.allow_header_conformance,
    openapi_checks.ignored_auth,
]
# Of a sequence: a deleted record stays gone, a created one can be read.
STATEFUL_CHECKS = [
    *CHECKS,
    openapi_checks.use_after_free,
    openapi_checks.ensure_resource_availability,
]


async def _demo_database(data_dir: Path) -> str:
    """A fresh PostgreSQL database holding the demo organisation; its URL."""
    url = await postgres.fresh_database("fuzz")
    await migrate.run(url)
    db = wiring.open_database(Settings(data_dir=data_dir, database_url=url))
    try:
        await demo.ensure(db)
    finally:
        await db.dispose()
    return url


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    env = {"MSGBOXX_DEMO": "true"}
    if os.environ.get("MSGBOXX_TEST_DATABASE_URL"):
        env["MSGBOXX_DATABASE_URL"] = postgres.run(_demo_database(data_dir))
    with serving(data_dir, **env) as base:
        token = httpx.post(
            f"{base}/oauth/token",
            json={"username": demo.EMAIL, "password": demo.PASSWORD},
        ).json()["access_token"]
        yield base, token


def _schema(base: str) -> Any:
    """Every operation but ``GET /live``: an endless event stream has no answer to check
    (a call would wait for its end forever); tests/live checks it over real HTTP."""
    return schemathesis.openapi.from_url(f"{base}/openapi.json").exclude(path="/live")


def test_api__no_input_gives_a_5xx_or_breaks_the_schema(live: tuple[str, str]) -> None:
    base, token = live
    schema = _schema(base)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=base,
                headers={"Authorization": f"Bearer {token}"},
                checks=CHECKS,
                timeout=20,
            )

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 15
    assert not failures, "\n\n".join(failures)


def test_api__sequences_of_linked_calls_give_no_5xx_or_break_the_schema(
    live: tuple[str, str],
) -> None:
    base, token = live
    schema = _schema(base)
    machine: Any = schema.as_state_machine()
    failures: dict[str, str] = {}
    scenarios = 0

    class Calls(machine):  # type: ignore[misc, valid-type]
        def teardown(self) -> None:
            nonlocal scenarios
            scenarios += 1
            super().teardown()

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {
                "base_url": base,
                "headers": {"Authorization": f"Bearer {token}"},
                "timeout": 20,
            }

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            """Collect rather than raise: a scenario replayed against a server whose
            records it changed draws differently, which Hypothesis calls flaky."""
            kwargs.pop("additional_checks", None)
            try:
                case.validate_response(response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs)
            except Exception as exc:
                failures.setdefault(f"{case.operation.label}: {type(exc).__name__}", str(exc))

    for _ in range(10):
        # Flaky: records changed under a replayed scenario; Schemathesis's own runner goes on too.
        with contextlib.suppress(Flaky):
            Calls.run(
                settings=settings(
                    max_examples=SCENARIOS,
                    stateful_step_count=STEPS,
                    deadline=None,
                    phases=[Phase.generate],
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
            )
        if scenarios >= SCENARIOS:
            break
    assert scenarios >= SCENARIOS, f"only {scenarios} scenarios ran"
    assert not failures, "\n\n".join(failures.values())
