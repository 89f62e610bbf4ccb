"""Iterating a collection walks its pages with page and pageSize."""

from __future__ import annotations

from msgboxx.client import AsyncClient
from tests.client.proxy import FaultyProxy
from tests.support import PASSWORD, Tenant


async def test_list__walks_every_page_once(tenant: Tenant, proxy: FaultyProxy) -> None:
    made = {await tenant.contact(inbound=False) for _ in range(7)}
    async with AsyncClient(proxy.url, username=tenant.admin_email, password=PASSWORD) as client:
        listed = [c async for c in client.contacts.list(page_size=3)]
    assert len(listed) == 7
    assert {str(c.contact_id) for c in listed} == made
    pages = [s.target.split("?")[1] for s in proxy.requests("GET", "/contact")]
    assert pages == ["page=1&pageSize=3", "page=2&pageSize=3", "page=3&pageSize=3"]


async def test_list__of_nothing_is_one_request(tenant: Tenant, proxy: FaultyProxy) -> None:
    async with AsyncClient(proxy.url, username=tenant.admin_email, password=PASSWORD) as client:
        assert [b async for b in client.broadcasts.list()] == []
    assert len(proxy.requests("GET", "/broadcast")) == 1
