"""The SDK's contacts: tags and attributes, and a CSV import with its progress, both clients."""

from __future__ import annotations

import asyncio
from pathlib import Path

from msgboxx.client import AsyncClient, Client, ImportReport
from tests.client.proxy import FaultyProxy, Seen
from tests.client.test_retries import QUICK
from tests.support import PASSWORD, Tenant

CSV = "phone,name,tags,order\n+447911123401,Ann,vip,A-1\n07911 123402,Bob,,A-2\nnope,Cy,,\n"


async def test_async_client__imports_a_file_and_reports_its_progress(
    tenant: Tenant, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(CSV)
    seen: list[tuple[int, int]] = []
    async with AsyncClient(
        tenant.server.base_url, username=tenant.admin_email, password=PASSWORD
    ) as client:
        report = await client.contacts.import_csv(
            path, api_account_id=tenant.account_id, progress=lambda *p: seen.append(p)
        )
        assert (report.rows, report.created, report.updated, report.rejected) == (3, 2, 0, 1)
        assert [(e.line, e.number) for e in report.errors] == [(4, "nope")]
        vip = [c async for c in client.contacts.list(tags=["vip"])]
        assert [(c.name, c.attributes) for c in vip] == [("Ann", {"order": "A-1"})]
        changed = await client.contacts.update(
            vip[0].contact_id, tags=["vip", "leeds"], attributes={"order": None, "city": "Leeds"}
        )
        assert changed.tags == ["leeds", "vip"] and changed.attributes == {"city": "Leeds"}
    total = seen[-1][1]
    assert seen[-1] == (total, total) and total > path.stat().st_size  # the form around it
    assert [sent for sent, _ in seen] == sorted(sent for sent, _ in seen)


async def test_client__an_import_whose_answer_is_lost_is_retried_and_imported_once(
    tenant: Tenant, proxy: FaultyProxy, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(CSV)
    dropped: list[Seen] = []

    def drop_first_import(seen: Seen) -> str | None:
        if seen.target.startswith("/contact/import") and not dropped:
            dropped.append(seen)
            return "drop"
        return None

    proxy.fault = drop_first_import  # type: ignore[assignment]

    def run() -> ImportReport:
        with Client(proxy.url, username=tenant.admin_email, password=PASSWORD, retry=QUICK) as c:
            return c.contacts.import_csv(path, api_account_id=tenant.account_id)

    report = await asyncio.to_thread(run)
    attempts = proxy.requests("POST", "/contact/import")
    assert len(attempts) == 2
    assert attempts[0].headers["idempotency-key"] == attempts[1].headers["idempotency-key"]
    assert (report.created, report.updated) == (2, 0)  # the first run's answer, replayed
    listed = await tenant.api.get("/contact", params={"apiAccountId": tenant.account_id})
    assert listed.json()["paging"]["recordCount"] == 2
