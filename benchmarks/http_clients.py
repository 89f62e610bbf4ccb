"""CPU per request of the HTTP clients we could send to the Graph API with.

    python -m benchmarks.http_clients

A trivial JSON server runs in its own process; this process posts a Cloud API
send body to it with httpx and with aiohttp, 20 and 400 requests out at once
(the dispatcher keeps up to 400 out), and prints the client's CPU per request.
The Cloud API channel uses aiohttp because of these figures.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import orjson
import uvicorn

from benchmarks.procs import free_port

BODY = {
    "messaging_product": "whatsapp",
    "to": "+16505551234",
    "type": "text",
    "text": {"body": "hi"},
}
ANSWER = b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.x"}]}'
REQUESTS = 3000


async def _graph(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": ANSWER})


def _serve(port: int) -> None:
    uvicorn.run(_graph, host="127.0.0.1", port=port, log_level="error")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _measure(send: Callable[[], Awaitable[None]], out_at_once: int) -> float:
    """Milliseconds of this process's CPU per request, after a warm-up."""
    gate = asyncio.Semaphore(out_at_once)

    async def one() -> None:
        async with gate:
            await send()

    await asyncio.gather(*(one() for _ in range(200)))
    started = _cpu()
    await asyncio.gather(*(one() for _ in range(REQUESTS)))
    return (_cpu() - started) / REQUESTS * 1000


async def _with_httpx(url: str, out_at_once: int) -> float:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits) as client:

        async def send() -> None:
            (await client.post(url, json=BODY, headers={"Authorization": "Bearer t"})).json()

        return await _measure(send, out_at_once)


async def _with_aiohttp(url: str, out_at_once: int) -> float:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as client:
        headers = {"Authorization": "Bearer t", "Content-Type": "application/json"}

        async def send() -> None:
            async with client.post(url, data=orjson.dumps(BODY), headers=headers) as answer:
                orjson.loads(await answer.read())

        return await _measure(send, out_at_once)


def main() -> None:
    import uvloop

    port = free_port()
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    time.sleep(1.5)
    url = f"http://127.0.0.1:{port}/v21.0/106540352242922/messages"
    try:
        for out_at_once in (20, 400):
            for name, run in (("httpx", _with_httpx), ("aiohttp", _with_aiohttp)):
                ms = uvloop.run(run(url, out_at_once))
                print(f"{name:8} {out_at_once:4} out at once: {ms:.3f} ms CPU per request")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
