"""What we post to the Graph API, exactly, and how its answers become outcomes."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from msgboxx.channels.base import (
    ChannelEvent,
    ChannelHealth,
    ConsentChange,
    OutboundMessage,
    SendError,
    TemplateSubmission,
)
from msgboxx.channels.cloud_api import CloudApiChannel
from msgboxx.channels.cloud_api.channel import new_client
from msgboxx.templates.status import TemplateStatus

SETTINGS = {
    "phone_number_id": "106540352242922",
    "waba_id": "102290129340398",
    "access_token": "EAAG-test-token",
    "app_secret": "s3cret",
    "verify_token": "verify-me",
}
MESSAGE_ID = uuid.UUID("7b0e2c1e-4e8c-4b8e-9d3c-2f1a7c9b5e10")
ACCOUNT_ID = uuid.UUID("0c6f0e8e-1111-4222-8333-944455556666")


def outbound(**changes: Any) -> OutboundMessage:
    values: dict[str, Any] = {
        "message_id": MESSAGE_ID,
        "account_id": ACCOUNT_ID,
        "from_number": "+15550783881",
        "to_number": "+16505551234",
        "text": "Hello from msgboxx",
        "channel_settings": SETTINGS,
    }
    values.update(changes)
    return OutboundMessage(**values)


class Recorder:
    """What a stand-in Graph API (a real HTTP server) was asked, and the events reported.

    ``answer`` turns each request, as httpx models it, into the response to give;
    raising ``TimeoutError`` makes the server hang past the channel's timeout.
    """

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self.events: list[ChannelEvent] = []
        self.answer = answer
        _GRAPH.recorder = self

    async def report(self, events: Sequence[ChannelEvent]) -> None:
        self.events.extend(events)

    def channel(self) -> CloudApiChannel:
        return CloudApiChannel(
            client=_GRAPH.client, base_url=_GRAPH.url, version="v21.0", report=self.report
        )


class _StandIn:
    url = ""
    client: aiohttp.ClientSession
    recorder: Recorder


_GRAPH = _StandIn()
HANG_SECONDS = 2.0  # the channel below gives up after 0.5 s


async def _answer(raw: web.Request) -> web.StreamResponse:
    recorder = _GRAPH.recorder
    request = httpx.Request(
        raw.method, str(raw.url), headers=list(raw.headers.items()), content=await raw.read()
    )
    recorder.requests.append(request)
    try:
        answer = recorder.answer(request)
    except TimeoutError:
        await asyncio.sleep(HANG_SECONDS)
        return web.Response(status=504)
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
    return web.Response(status=answer.status_code, body=answer.content, headers=headers)


@pytest.fixture(scope="module", autouse=True)
async def graph_stand_in() -> AsyncIterator[None]:
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", _answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    _GRAPH.url = str(server.make_url("")).rstrip("/")
    _GRAPH.client = new_client(timeout=0.5)
    try:
        yield
    finally:
        await _GRAPH.client.close()
        await server.close()


def accepted(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "messaging_product": "whatsapp",
            "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
            "messages": [{"id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}],
        },
    )


def meta_error(code: int, *, status: int = 400, details: str = "details") -> Callable[..., Any]:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            json={
                "error": {
                    "message": f"(#{code}) something",
                    "type": "OAuthException",
                    "code": code,
                    "error_data": {"messaging_product": "whatsapp", "details": details},
                    "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
                }
            },
        )

    return answer


async def test_send__text_posts_exactly_metas_shape_and_returns_the_wamid() -> None:
    recorder = Recorder(accepted)
    wamid = await recorder.channel().send(outbound())
    assert wamid == "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
    [request] = recorder.requests
    assert request.method == "POST"
    assert request.url.path == "/v21.0/106540352242922/messages"
    assert request.headers["authorization"] == "Bearer EAAG-test-token"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+16505551234",
        "type": "text",
        "text": {"body": "Hello from msgboxx", "preview_url": False},
        "biz_opaque_callback_data": str(MESSAGE_ID),
    }


async def test_send__template_carries_name_language_and_body_parameters_in_order() -> None:
    recorder = Recorder(accepted)
    message = outbound(
        text="Hi John, thanks for your interest in msgboxx.",
        template_name="follow_up",
        template_language="en_GB",
        template_parameters=["John", "msgboxx"],
    )
    await recorder.channel().send(message)
    assert json.loads(recorder.requests[0].content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+16505551234",
        "type": "template",
        "template": {
            "name": "follow_up",
            "language": {"code": "en_GB"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "John"},
                        {"type": "text", "text": "msgboxx"},
                    ],
                }
            ],
        },
        "biz_opaque_callback_data": str(MESSAGE_ID),
    }


async def test_send__template_without_placeholders_sends_no_components() -> None:
    recorder = Recorder(accepted)
    await recorder.channel().send(outbound(template_name="hello_world", template_language="en_US"))
    body = json.loads(recorder.requests[0].content)
    assert body["template"] == {"name": "hello_world", "language": {"code": "en_US"}}


async def test_submit_template__posts_body_with_examples_from_the_templates_example() -> None:
    recorder = Recorder(
        lambda _r: httpx.Response(
            200, json={"id": "806312974732579", "status": "PENDING", "category": "UTILITY"}
        )
    )
    submission = TemplateSubmission(
        template_id=uuid.uuid4(),
        account_id=ACCOUNT_ID,
        from_number="+15550783881",
        name="order_update",
        language="en",
        category="UTILITY",
        text="Hi {{1}}, your order {{2}} is on its way.",
        example="Hi Pablo, your order 860198 is on its way.",
        channel_settings=SETTINGS,
    )
    provider_id = await recorder.channel().submit_template(submission)
    assert provider_id == "806312974732579"
    [request] = recorder.requests
    assert request.url.path == "/v21.0/102290129340398/message_templates"
    assert json.loads(request.content) == {
        "name": "order_update",
        "category": "UTILITY",
        "language": "en",
        "parameter_format": "positional",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, your order {{2}} is on its way.",
                "example": {"body_text": [["Pablo", "860198"]]},
            }
        ],
    }


async def test_list_templates__follows_cursor_paging() -> None:
    pages = {
        None: {
            "data": [
                {
                    "id": "1",
                    "name": "order_update",
                    "language": "en",
                    "status": "APPROVED",
                    "category": "UTILITY",
                    "components": [{"type": "BODY", "text": "Order {{1}} shipped, thanks."}],
                }
            ],
            "paging": {"cursors": {"after": "QVFI"}, "next": "https://graph.test/next"},
        },
        "QVFI": {
            "data": [
                {
                    "id": "2",
                    "name": "promo",
                    "language": "es",
                    "status": "PAUSED",
                    "category": "MARKETING",
                    "components": [{"type": "BODY", "text": "Oferta para {{1}} hoy."}],
                },
                {
                    "id": "3",
                    "name": "named",
                    "language": "en",
                    "status": "APPROVED",
                    "parameter_format": "NAMED",
                    "components": [{"type": "BODY", "text": "Hi {{first_name}}!"}],
                },
            ],
            "paging": {"cursors": {"after": "QVFJ"}},
        },
    }
    recorder = Recorder(
        lambda request: httpx.Response(200, json=pages[request.url.params.get("after")])
    )
    found = await recorder.channel().list_templates(SETTINGS)
    assert [(t.name, t.language, t.status, t.provider_status) for t in found] == [
        ("order_update", "en", TemplateStatus.approved, "APPROVED"),
        ("promo", "es", TemplateStatus.rejected, "PAUSED"),
    ]
    assert len(recorder.requests) == 2
    assert recorder.requests[0].url.params["limit"] == "100"


ERROR_CASES = [
    # code, HTTP status, retryable, reason starts with
    (130429, 400, True, "130429 Rate limit hit"),
    (131056, 400, True, "131056 Pair rate limit hit"),
    (131000, 500, True, "131000 "),
    (133004, 503, True, "133004 "),
    (131047, 400, False, "131047 Re-engagement message"),
    (131026, 400, False, "131026 Message undeliverable"),
    (132000, 400, False, "132000 "),
    (132001, 400, False, "132001 "),
    (132015, 400, False, "132015 Template is paused"),
    (132999, 400, False, "132999 Template problem"),
    (100, 400, False, "100 Invalid parameter"),
    (131008, 400, False, "131008 Required parameter is missing"),
    (131009, 400, False, "131009 Parameter value is not valid"),
    (190, 401, False, "190 Access token has expired or is invalid"),
    (200, 403, False, "200 Permission error"),
    (131050, 400, False, "131050 User stopped marketing messages"),
]


@pytest.mark.parametrize(("code", "status", "retryable", "reason"), ERROR_CASES)
async def test_send__meta_error_becomes_the_right_send_error(
    code: int, status: int, retryable: bool, reason: str
) -> None:
    recorder = Recorder(meta_error(code, status=status))
    channel = recorder.channel()
    with pytest.raises(SendError) as caught:
        await channel.send(outbound())
    assert caught.value.retryable is retryable
    assert caught.value.code == str(code)
    assert caught.value.reason.startswith(reason), caught.value.reason
    if retryable:
        assert caught.value.retry_after is not None and caught.value.retry_after > 0


async def test_send__bad_token_reports_the_account_unhealthy_once() -> None:
    recorder = Recorder(meta_error(190, status=401))
    channel = recorder.channel()
    for _ in range(2):
        with pytest.raises(SendError):
            await channel.send(outbound())
    await channel.drain()
    health = [e for e in recorder.events if isinstance(e, ChannelHealth)]
    assert health and all(e.account_id == ACCOUNT_ID and not e.healthy for e in health)
    assert "190" in (health[0].reason or "")


async def test_send__stopped_marketing_reports_the_contact_unsubscribed() -> None:
    recorder = Recorder(meta_error(131050))
    channel = recorder.channel()
    with pytest.raises(SendError):
        await channel.send(outbound())
    await channel.drain()
    [change] = [e for e in recorder.events if isinstance(e, ConsentChange)]
    assert (change.to_number, change.from_number) == ("+15550783881", "+16505551234")
    assert change.status.value == "Unsubscribed"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (lambda r: httpx.Response(502, text="<html>Bad gateway</html>"), "http-502"),
        (lambda r: httpx.Response(429, headers={"Retry-After": "7"}), "http-429"),
    ],
)
async def test_send__server_trouble_is_retryable(
    answer: Callable[[httpx.Request], httpx.Response], code: str
) -> None:
    with pytest.raises(SendError) as caught:
        await Recorder(answer).channel().send(outbound())
    assert caught.value.retryable and caught.value.code == code


async def test_send__timeout_is_retryable() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise TimeoutError

    with pytest.raises(SendError) as caught:
        await Recorder(hang).channel().send(outbound())
    assert caught.value.retryable and caught.value.code == "timeout"


async def test_send__account_without_credentials_fails_permanently_without_a_request() -> None:
    recorder = Recorder(accepted)
    with pytest.raises(SendError) as caught:
        await recorder.channel().send(outbound(channel_settings={}))
    assert not caught.value.retryable
    assert recorder.requests == []


def test_credentials__repr_never_shows_secrets() -> None:
    from msgboxx.channels.cloud_api import CloudApiCredentials

    shown = repr(CloudApiCredentials.from_settings(SETTINGS)) + repr(outbound())
    assert "EAAG-test-token" not in shown and "s3cret" not in shown and "verify-me" not in shown


@pytest.mark.parametrize(
    ("details", "reason"),
    [
        # Meta's details often repeat the title: said once.
        ("Access token has expired or is invalid", "190 Access token has expired or is invalid"),
        ("Access token has expired or is invalid.", "190 Access token has expired or is invalid"),
        # Details that say more are kept, once.
        (
            "Error validating access token: Session has expired on Tuesday.",
            "190 Access token has expired or is invalid: "
            "Error validating access token: Session has expired on Tuesday.",
        ),
    ],
)
async def test_send__failure_reason_says_each_part_once(details: str, reason: str) -> None:
    recorder = Recorder(meta_error(190, status=401, details=details))
    channel = recorder.channel()
    with pytest.raises(SendError) as caught:
        await channel.send(outbound())
    assert caught.value.reason == reason
