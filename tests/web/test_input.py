"""What a client may send: every odd input is a 4xx problem naming its field, never a 5xx."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support import Server, Tenant, assert_problem, running, test_settings

NUL = "\u0000"
LISTS = ("/contact", "/template", "/webhook", "/apiaccount", "/inboxes", "/broadcast", "/message")


def fields(body: dict[str, object]) -> set[str]:
    errors = body["errors"]
    assert isinstance(errors, list)
    return {str(error["field"]) for error in errors}


async def test_nul__in_a_login_username_is_422_naming_it(server: Server) -> None:
    async with server.client() as client:
        as_json = await client.post(
            "/oauth/token", json={"username": f"a{NUL}b@example.com", "password": "x"}
        )
        as_form = await client.post(
            "/oauth/token",
            data={"grant_type": "password", "username": f"a{NUL}b", "password": "x"},
        )
    for reply in (as_json, as_form):
        assert fields(assert_problem(reply, 422)) == {"username"}


async def test_nul__in_stored_text_is_422_naming_the_field_and_writes_nothing(
    tenant: Tenant,
) -> None:
    contact_id = await tenant.contact()
    message = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": f"hi{NUL}"},
    )
    assert fields(assert_problem(message, 422)) == {"message"}
    contact = await tenant.api.post(
        "/contact",
        json={
            "apiAccountId": tenant.account_id,
            "mobileNumber": "+447902111123",
            "name": f"Ann{NUL}",
        },
    )
    assert fields(assert_problem(contact, 422)) == {"name"}
    renamed = await tenant.api.patch(f"/contact/{contact_id}", json={"name": f"{NUL}"})
    assert fields(assert_problem(renamed, 422)) == {"name"}
    account = await tenant.api.post(
        "/apiaccount", json={"phoneNumber": "+447902111124", "name": f"Shop{NUL}"}
    )
    assert fields(assert_problem(account, 422)) == {"name"}
    template = await tenant.api.post(
        "/template",
        json={
            "apiAccountId": tenant.account_id,
            "name": f"order_{NUL}",
            "templateText": "Your order {{1}} is on its way.",
        },
    )
    assert fields(assert_problem(template, 422)) == {"name"}
    listed = await tenant.api.get(
        "/message", params={"contactId": contact_id, "fromDate": "2000-01-01"}
    )
    assert listed.json()["paging"]["recordCount"] == 1  # the inbound "Hi" only
    found = await tenant.api.get("/contact", params={"mobileNumber": "+447902111123"})
    assert found.json()["paging"]["recordCount"] == 0


async def test_nul__in_a_query_parameter_is_422_naming_it(tenant: Tenant) -> None:
    reply = await tenant.api.get("/contact", params={"mobileNumber": f"+4479{NUL}"})
    assert fields(assert_problem(reply, 422)) == {"mobileNumber"}
    for path in LISTS:
        reply = await tenant.api.get(path, params={"fromDate": f"2024-01-01{NUL}"})
        assert fields(assert_problem(reply, 422)) == {"fromDate"}, path


async def test_dates__are_iso_8601_only_never_an_epoch(tenant: Tenant) -> None:
    for path in LISTS:
        for given in ("0.5", "0", "1700000000", "-1"):
            reply = await tenant.api.get(path, params={"fromDate": given})
            assert fields(assert_problem(reply, 422)) == {"fromDate"}, (path, given)
        for given in ("2024-05-01", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123+02:00"):
            reply = await tenant.api.get(path, params={"fromDate": given})
            assert reply.status_code == 200, (path, given, reply.text)


async def test_dates__from_after_to_is_422_naming_from_date(tenant: Tenant) -> None:
    reply = await tenant.api.get(
        "/message", params={"fromDate": "2024-05-02", "toDate": "2024-05-01"}
    )
    body = assert_problem(reply, 422)
    assert fields(body) == {"fromDate"}
    assert body["detail"].startswith("fromDate: ")


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("/apiaccount", {"GET", "POST"}),
        ("/apiaccounts/", {"GET", "POST"}),
        ("/contact", {"GET", "POST"}),
        ("/contact/00000000-0000-0000-0000-000000000000", {"GET", "PATCH", "DELETE"}),
        ("/message", {"GET", "POST"}),
        ("/webhook/00000000-0000-0000-0000-000000000000", {"GET", "DELETE"}),
        ("/oauth/token", {"POST"}),
    ],
)
async def test_405__allow_lists_every_method_the_path_serves(
    tenant: Tenant, path: str, served: set[str]
) -> None:
    reply = await tenant.api.request("PUT", path)
    assert_problem(reply, 405)
    assert {m.strip() for m in reply.headers["allow"].split(",")} == served
    options = await tenant.api.options(path)
    assert_problem(options, 405)
    assert {m.strip() for m in options.headers["allow"].split(",")} == served


async def test_body__without_a_content_type_is_read_as_json(tenant: Tenant) -> None:
    reply = await tenant.api.post(
        "/contact",
        content=f'{{"apiAccountId": "{tenant.account_id}", "mobileNumber": "+447902111125"}}',
    )
    assert "content-type" not in reply.request.headers
    assert reply.status_code == 201, reply.text
    assert reply.json()["mobileNumber"] == "+447902111125"


async def test_crash__leaves_the_connection_usable(data_dir: Path) -> None:
    """A 500 is an answer like any other: the client's next request on it succeeds."""
    async with running(test_settings(data_dir)) as live:

        async def explode() -> None:
            raise RuntimeError("boom")

        live.app.add_api_route("/explode", explode)
        opened: list[object] = []

        async def on_response(response: httpx.Response) -> None:
            opened.append(response.extensions["network_stream"])

        async with httpx.AsyncClient(
            base_url=live.base_url,
            event_hooks={"response": [on_response]},
            limits=httpx.Limits(max_connections=1),
        ) as client:
            crashed = await client.get("/explode")
            assert_problem(crashed, 500)
            assert crashed.headers.get("connection") != "close"
            after = await client.get("/healthz")
            assert after.status_code == 200
    assert opened[0] is opened[1], "the second request needed a new connection"
