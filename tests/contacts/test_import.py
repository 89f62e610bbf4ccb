"""POST /contact/import: every row created, updated or rejected with its line; all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from tests.support import Tenant, assert_problem, fresh_number, new_tenant, own_settings, running
from tests.webhooks.receiver import Receiver


async def upload(
    api: httpx.AsyncClient,
    content: bytes,
    account_id: str | None,
    *,
    as_query: bool = False,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    data = {"apiAccountId": account_id} if account_id and not as_query else {}
    params = {"apiAccountId": account_id} if account_id and as_query else {}
    return await api.post(
        "/contact/import",
        files={"file": ("contacts.csv", content, "text/csv")},
        data=data,
        params=params,
        headers=headers or {},
    )


async def contacts_of(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """The tenant's contacts by number, as the API shows them."""
    reply = await tenant.api.get(
        "/contact", params={"apiAccountId": tenant.account_id, "pageSize": 500}
    )
    assert reply.status_code == 200, reply.text
    return {item["mobileNumber"]: item for item in reply.json()["items"]}


async def test_import__every_kind_of_row_is_accounted_for_by_line(tenant: Tenant) -> None:
    known = fresh_number()
    existing = await tenant.api.post(
        "/contact",
        json={
            "mobileNumber": known,
            "apiAccountId": tenant.account_id,
            "name": "Old Name",
            "email": "old@example.com",
            "status": "Unsubscribed",
            "tags": ["old"],
            "attributes": {"Order": "A-0", "Keep": "yes"},
        },
    )
    assert existing.status_code == 201, existing.text
    lines = [
        "Phone Number;Name;Email;Tags;Order;City",  # 1: the header
        "+44 7911 123401;Ann;ann@example.com;VIP|leeds;A-1;Leeds",  # 2: created
        "07911 123402;Bob;;vip;A-2;",  # 3: created, national with the account's region
        "0044 7911 123403;Cy;;;;",  # 4: created, international with 00
        "12345;Bad;;;;",  # 5: invalid number
        "07911123401;Ann again;;;;",  # 6: duplicate of line 2
        f"{known};New Name;;new;B-9;",  # 7: the existing contact, updated
        ";No number;;;;",  # 8: no number
        "+447911123406;Eve;not-an-email;;;",  # 9: invalid email
        '+447911123407;"Multi',  # 10-11: one row over two lines, created
        'line";;;;',
        "+447911123408;Fay;;has space;;",  # 12: a tag with a space
        "",  # 13: a blank line is no row
        "+447911123409;Gus;;;;",  # 14: created
    ]
    content = "\ufeff" + "\r\n".join(lines) + "\r\n"
    reply = await upload(tenant.api, content.encode(), tenant.account_id)
    assert reply.status_code == 200, reply.text
    report = reply.json()
    assert (report["rows"], report["created"], report["updated"], report["rejected"]) == (
        11,
        5,
        1,
        5,
    )
    assert report["apiAccountId"] == tenant.account_id
    assert report["errorsOmitted"] == 0
    errors = {e["line"]: e for e in report["errors"]}
    assert sorted(errors) == [5, 6, 8, 9, 12]
    assert errors[5]["number"] == "12345" and "invalid number" in errors[5]["reason"]
    assert "duplicate of line 2" in errors[6]["reason"]
    assert errors[8]["number"] is None and errors[8]["reason"] == "no number"
    assert "email" in errors[9]["reason"]
    assert "has space" in errors[12]["reason"]

    found = await contacts_of(tenant)
    assert set(found) == {
        "+447911123401",
        "+447911123402",
        "+447911123403",
        "+447911123407",
        "+447911123409",
        known,
    }
    ann = found["+447911123401"]
    assert (ann["name"], ann["email"], ann["status"]) == ("Ann", "ann@example.com", "Subscribed")
    assert ann["tags"] == ["leeds", "vip"]
    assert ann["attributes"] == {"Order": "A-1", "City": "Leeds"}
    assert found["+447911123402"]["attributes"] == {"Order": "A-2"}
    assert found["+447911123407"]["name"] == "Multi\r\nline"
    updated = found[known]
    assert updated["name"] == "New Name"
    assert updated["email"] == "old@example.com"  # not given: kept
    assert updated["status"] == "Unsubscribed"  # consent stays the customer's
    assert updated["tags"] == ["new", "old"]  # added to its own
    assert updated["attributes"] == {"Order": "B-9", "Keep": "yes"}  # merged


async def test_import__comma_file_with_a_consent_column_and_a_query_account(
    tenant: Tenant,
) -> None:
    content = (
        b"mobileNumber,consent,tags\n"
        b"+447911223301,Unsubscribed,a;b\n"
        b"+447911223302,presubscribed,\n"
        b"+447911223303,,\n"
        b"+447911223304,maybe,\n"
    )
    reply = await upload(tenant.api, content, tenant.account_id, as_query=True)
    assert reply.status_code == 200, reply.text
    report = reply.json()
    assert (report["created"], report["rejected"]) == (3, 1)
    assert report["errors"][0]["line"] == 5 and "maybe" in report["errors"][0]["reason"]
    found = await contacts_of(tenant)
    assert found["+447911223301"]["status"] == "Unsubscribed"
    assert found["+447911223301"]["tags"] == ["a", "b"]
    assert found["+447911223302"]["status"] == "Presubscribed"
    assert found["+447911223303"]["status"] == "Subscribed"


async def test_import__thousands_of_rows_across_batches_with_errors_capped(
    tenant: Tenant,
) -> None:
    rows = ["number,name,segment"]
    rows += [f"+44790{3000000 + i:07d},Customer {i},s{i % 3}" for i in range(1300)]
    rows += [f"00{i}" for i in range(1200)]  # invalid: too short to be any number
    reply = await upload(tenant.api, "\n".join(rows).encode(), tenant.account_id)
    assert reply.status_code == 200, reply.text
    report = reply.json()
    assert (report["rows"], report["created"], report["rejected"]) == (2500, 1300, 1200)
    assert len(report["errors"]) == 1000 and report["errorsOmitted"] == 200
    assert [e["line"] for e in report["errors"]] == list(range(1302, 2302))
    listed = await tenant.api.get("/contact", params={"apiAccountId": tenant.account_id})
    assert listed.json()["paging"]["recordCount"] == 1300
    again = await upload(tenant.api, "\n".join(rows[:1301]).encode(), tenant.account_id)
    assert (again.json()["created"], again.json()["updated"]) == (0, 1300)


async def test_import__lines_are_counted_from_the_top_of_the_file(tenant: Tenant) -> None:
    content = b"\r\n\nphone;name\n12345;Ann\n\n+447911123402;Bob\n+447911123402;Bob\n"
    reply = await upload(tenant.api, content, tenant.account_id)
    assert reply.status_code == 200, reply.text
    assert [(e["line"], e["number"]) for e in reply.json()["errors"]] == [
        (4, "12345"),
        (7, "+447911123402"),
    ]
    assert "duplicate of line 6" in reply.json()["errors"][1]["reason"]


async def test_import__a_header_only_file_imports_nothing(tenant: Tenant) -> None:
    reply = await upload(tenant.api, b"phone,name\r\n", tenant.account_id)
    assert reply.status_code == 200, reply.text
    assert reply.json() | {"apiAccountId": None} == {
        "apiAccountId": None,
        "rows": 0,
        "created": 0,
        "updated": 0,
        "rejected": 0,
        "errors": [],
        "errorsOmitted": 0,
    }


async def test_import__unreadable_files_are_422_naming_the_file(tenant: Tenant) -> None:
    cases = {
        b"": "empty",
        b"\xef\xbb\xbf\n\n": "empty",
        b"name,email\nAnn,ann@example.com\n": "number column",
        b"phone,name\n+447911123401,Jos\xe9\n": "UTF-8",
        b'phone,name\n+447911123401,"unterminated\n': "CSV",
    }
    for content, says in cases.items():
        reply = await upload(tenant.api, content, tenant.account_id)
        body = assert_problem(reply, 422)
        assert body["errors"][0]["field"] == "file", body
        assert says in body["detail"], body
    assert (await contacts_of(tenant)) == {}


async def test_import__without_a_file_or_an_account_is_422(tenant: Tenant) -> None:
    reply = await tenant.api.post(
        "/contact/import", data={"apiAccountId": tenant.account_id}, files={"x": ("a", b"b")}
    )
    assert assert_problem(reply, 422)["errors"][0]["field"] == "file"
    reply = await upload(tenant.api, b"phone\n+447911123401\n", None)
    assert assert_problem(reply, 422)["errors"][0]["field"] == "apiAccountId"
    reply = await upload(tenant.api, b"phone\n+447911123401\n", "not-a-uuid")
    assert assert_problem(reply, 422)["errors"][0]["field"] == "apiAccountId"
    reply = await tenant.api.post("/contact/import", json={"apiAccountId": tenant.account_id})
    assert_problem(reply, 415)


async def test_import__another_organisations_account_is_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    content = b"phone\n+447911123401\n"
    assert_problem(await upload(tenant.api, content, other_tenant.account_id), 404)
    assert_problem(await upload(tenant.api, content, str(uuid.uuid4())), 404)
    assert (await contacts_of(other_tenant)) == {}


async def test_import__an_agent_imports_only_into_assigned_accounts(tenant: Tenant) -> None:
    content = b"phone\n+447911123401\n"
    email, agent = await tenant.add_user(role="agent")
    async with agent:
        assert_problem(await upload(agent, content, tenant.account_id), 404)
        assert (await contacts_of(tenant)) == {}
        await tenant.assign(email)
        reply = await upload(agent, content, tenant.account_id)
        assert reply.status_code == 200 and reply.json()["created"] == 1


async def test_import__idempotency_key_answers_a_repeat_as_the_first(tenant: Tenant) -> None:
    content = b"phone\n+447911123401\n+447911123402\n"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await upload(tenant.api, content, tenant.account_id, headers=key)
    second = await upload(tenant.api, content, tenant.account_id, headers=key)
    assert first.json()["created"] == 2
    assert second.json() == first.json()  # not "updated: 2": the import ran once
    assert second.headers.get("idempotent-replayed") == "true"
    other = await upload(tenant.api, content + b"+447911123403\n", tenant.account_id, headers=key)
    assert_problem(other, 422)
    assert len(await contacts_of(tenant)) == 2


async def _refuse_tag(tenant: Tenant, tag: str, *, on: bool) -> None:
    """A trigger that makes the database refuse one tag: a real failure, late in an import."""
    name = f"refuse_{tag}"
    async with tenant.server.db.tx(write=True) as tx:
        postgres = tx.dialect == "postgresql"
        if on and postgres:
            statements = [
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN IF NEW.tag = '{tag}' "
                "THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql",
                f"CREATE TRIGGER {name} BEFORE INSERT ON contact_tags "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()",
            ]
        elif on:
            statements = [
                f"CREATE TRIGGER {name} BEFORE INSERT ON contact_tags WHEN NEW.tag = '{tag}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            ]
        elif postgres:
            statements = [f"DROP TRIGGER {name} ON contact_tags", f"DROP FUNCTION {name}()"]
        else:
            statements = [f"DROP TRIGGER {name}"]
        for statement in statements:
            await tx.session.execute(text(statement))
        await tx.commit()


async def test_import__a_failure_late_in_the_file_leaves_nothing_of_it(tenant: Tenant) -> None:
    known = fresh_number()
    made = await tenant.api.post(
        "/contact",
        json={"mobileNumber": known, "apiAccountId": tenant.account_id, "name": "Before"},
    )
    assert made.status_code == 201
    refused = f"t{uuid.uuid4().hex[:12]}"
    rows = ["phone,name,tags", f"{known},After,kept"]
    rows += [f"+44790{4000000 + i:07d},Customer {i},ok" for i in range(1500)]
    rows.append(f"+447905999999,Last,{refused}")  # the database refuses this, in batch two
    await _refuse_tag(tenant, refused, on=True)
    try:
        reply = await upload(tenant.api, "\n".join(rows).encode(), tenant.account_id)
    finally:
        await _refuse_tag(tenant, refused, on=False)
    assert_problem(reply, 500)
    found = await contacts_of(tenant)
    assert list(found) == [known]  # none of the 1,501 new ones
    assert found[known]["name"] == "Before" and found[known]["tags"] == []
    retried = await upload(tenant.api, "\n".join(rows).encode(), tenant.account_id)
    assert (retried.json()["created"], retried.json()["updated"]) == (1501, 1)


async def test_import__one_summary_event_and_no_event_per_contact(tenant: Tenant) -> None:
    receiver = await Receiver().start()
    try:
        events = ["contact.created", "contact.updated", "contact.imported"]
        hook = await tenant.api.post(
            "/webhook", json={"targetUrl": receiver.url(), "events": events}
        )
        assert hook.status_code == 201, hook.text
        content = b"phone\n+447911123401\n+447911123402\nbad\n"
        reply = await upload(tenant.api, content, tenant.account_id)
        assert reply.status_code == 200, reply.text
        created = await tenant.api.post(
            "/contact", json={"mobileNumber": fresh_number(), "apiAccountId": tenant.account_id}
        )
        got = await receiver.wait_for(lambda received: len(received) >= 2)
        assert [r.event["type"] for r in got] == ["contact.imported", "contact.created"]
        assert got[0].event["data"] == {
            "apiAccountId": tenant.account_id,
            "rows": 3,
            "created": 2,
            "updated": 0,
            "rejected": 1,
        }
        assert got[1].event["data"]["contactId"] == created.json()["contactId"]
    finally:
        await receiver.stop()


async def test_import__over_the_size_or_row_limit_is_413_and_imports_nothing(
    tmp_path: Path,
) -> None:
    settings = await own_settings(
        tmp_path / "data",
        database="import_limits",
        import_max_bytes=2000,
        import_max_rows=5,
        dispatch=False,
    )
    async with running(settings) as server:
        tenant = await new_tenant(server)
        try:
            big = b"phone,notes\n" + b"".join(
                f"+44790{5000000 + i:07d},{'x' * 60}\n".encode() for i in range(40)
            )
            body = assert_problem(await upload(tenant.api, big, tenant.account_id), 413)
            assert body["maxBytes"] == 2000

            async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: refused mid-way
                boundary = b"--b0undary\r\n"
                yield boundary + b'Content-Disposition: form-data; name="file"; filename="a.csv"'
                yield b"\r\n\r\n" + big + b"\r\n--b0undary--\r\n"

            streamed = await tenant.api.post(
                "/contact/import",
                params={"apiAccountId": tenant.account_id},
                content=chunked(),
                headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
            )
            assert_problem(streamed, 413)
            many = b"phone\n" + b"".join(f"+44790{5100000 + i:07d}\n".encode() for i in range(6))
            assert_problem(await upload(tenant.api, many, tenant.account_id), 413)
            assert (await contacts_of(tenant)) == {}
            five = b"phone\n" + b"".join(f"+44790{5100000 + i:07d}\n".encode() for i in range(5))
            reply = await upload(tenant.api, five, tenant.account_id)
            assert reply.status_code == 200 and reply.json()["created"] == 5
        finally:
            await tenant.api.aclose()
