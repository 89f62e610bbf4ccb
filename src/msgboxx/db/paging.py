"""One page of a query plus the count of everything it matches."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from msgboxx.core.wire import PageRequest

T = TypeVar("T")


async def fetch_page(
    session: AsyncSession, query: Select[T], page: PageRequest
) -> tuple[list[T], int]:
    """``recordCount`` is what the filters match, not the size of the page."""
    counted: Select[Any] = select(func.count()).select_from(query.order_by(None).subquery())
    total = await session.scalar(counted)
    if not total or page.offset >= total:
        return [], total or 0
    rows = await session.scalars(query.offset(page.offset).limit(page.pageSize))
    return list(rows), total
