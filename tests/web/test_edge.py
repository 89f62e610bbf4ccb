"""The HTTP edge: problem+json everywhere, request ids, body limits, health, docs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import orjson
import pytest

from msgboxx.observability.logs import JsonFormatter
from tests.support import Server, Tenant, assert_problem, running, test_settings


class Lines(logging.Handler):
    """Keeps formatted JSON log lines, as an operator's log shipper would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(orjson.loads(self.format(record)))


@pytest.fixture
def access_log() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("msgboxx.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


async def test_request_id__is_returned_and_logged(tenant: Tenant, access_log: Lines) -> None:
    reply = await tenant.api.get("/contact", headers={"X-Request-Id": "trace-abc-123"})
    assert reply.headers["x-request-id"] == "trace-abc-123"
    generated = await tenant.api.get("/contact")
    rid = generated.headers["x-request-id"]
    assert len(rid) >= 16
    wanted = {("trace-abc-123", "/contact", 200), (rid, "/contact", 200)}
    for _ in range(100):  # the line is written once the answer has left
        logged = {
            (ln.get("request_id"), ln.get("path"), ln.get("status")) for ln in access_log.lines
        }
        if wanted <= logged:
            break
        await asyncio.sleep(0.01)
    assert wanted <= logged


async def test_body__over_one_mebibyte_is_413(tenant: Tenant) -> None:
    big = b'{"message": "' + b"x" * (1024 * 1024) + b'"}'
    reply = await tenant.api.post(
        "/message", content=big, headers={"Content-Type": "application/json"}
    )
    assert_problem(reply, 413)

    async def chunks() -> AsyncIterator[
        bytes
    ]:  # no Content-Length: the limit still holds while streaming
        for _ in range(20):
            yield b"x" * 65536

    streamed = await tenant.api.post(
        "/contact", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(streamed, 413)


async def test_unknown_paths_and_methods_are_problems(tenant: Tenant) -> None:
    assert_problem(await tenant.api.get("/nothing-here"), 404)
    assert_problem(await tenant.api.put("/message"), 405)


async def test_malformed_ids_in_paths_are_4xx_never_500(tenant: Tenant) -> None:
    for path in ("/message/not-a-uuid", "/contact/123", "/inbox/%00", "/broadcast/zz"):
        reply = await tenant.api.get(path)
        assert reply.status_code in (404, 422), (path, reply.status_code)
        assert reply.headers["content-type"].startswith("application/problem+json")


async def test_health_ready_metrics_docs(server: Server, tenant: Tenant) -> None:
    async with server.client() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["database"] == "ok"
        metrics = await client.get("/metrics")
        assert "msgboxx_http_requests_total" in metrics.text
        assert (await client.get("/docs")).status_code == 200
        spec = (await client.get("/openapi.json")).json()
    for path in ("/oauth/token", "/apiaccount", "/contact", "/message", "/broadcast", "/template"):
        assert path in spec["paths"], path


async def test_docs__operations_that_need_a_caller_ask_for_a_bearer_token(server: Server) -> None:
    """What /docs' "Authorize" rests on: the scheme, and which operations use it."""
    async with server.client() as client:
        spec = (await client.get("/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/oauth/token"
    bearer = [{"OAuth2PasswordBearer": []}]
    paths = spec["paths"]
    for path, method in (
        ("/message", "post"),
        ("/message/{messageId}", "get"),
        ("/contact", "get"),
        ("/whoami", "get"),
    ):
        assert paths[path][method].get("security") == bearer, (path, method)
    for path, method in (("/oauth/token", "post"), ("/healthz", "get")):
        assert "security" not in paths[path][method], (path, method)


async def test_crash__is_a_500_problem_with_an_error_id_in_the_log(
    data_dir: Path, access_log: Lines
) -> None:
    crashes = Lines()
    logging.getLogger("msgboxx.web.problems").addHandler(crashes)
    async with running(test_settings(data_dir)) as live:

        async def explode() -> None:
            raise RuntimeError("secret internals")

        live.app.add_api_route("/explode", explode)
        async with live.client() as client:
            reply = await client.get("/explode")
    logging.getLogger("msgboxx.web.problems").removeHandler(crashes)
    body = assert_problem(reply, 500)
    assert "secret internals" not in reply.text and "Traceback" not in reply.text
    assert any(line.get("error_id") == body["errorId"] for line in crashes.lines)
