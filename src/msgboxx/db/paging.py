"""One page of a query plus the count of everything it matches."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select

from msgboxx.core.wire import PageRequest
from msgboxx.db.tx import Tx

T = TypeVar("T")


async def fetch_page(tx: Tx, query: Select[T], page: PageRequest) -> tuple[list[T], int]:
    """``recordCount`` is what the filters match, not the size of the page."""
    counted: Select[Any] = select(func.count()).select_from(query.order_by(None).subquery())
    total = await tx.session.scalar(counted)
    if not total or page.offset >= total:
        return [], total or 0
    rows = await tx.session.scalars(query.offset(page.offset).limit(page.pageSize))
    return list(rows), total
