"""Schemathesis against our own /openapi.json: no input gives a 5xx or breaks the schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.processes import serving

EXAMPLES = int(os.environ.get("MSGBOXX_FUZZ_EXAMPLES", "25"))
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    with serving(data_dir, MSGBOXX_DEMO="true") as base:
        token = httpx.post(
            f"{base}/oauth/token",
            json={"username": "demo@msgboxx.local", "password": "demo-password"},
        ).json()["access_token"]
        yield base, token


@pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in os.environ, reason="uses the embedded default's demo"
)
def test_api__no_input_gives_a_5xx_or_breaks_the_schema(live: tuple[str, str]) -> None:
    base, token = live
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
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
