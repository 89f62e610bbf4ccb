"""Timestamps on the wire are the original's: UTC, milliseconds, ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from msgboxx.core.wire import format_timestamp


def test_wire__a_timestamp_is_utc_with_milliseconds_cut_not_rounded() -> None:
    at = datetime(2022, 7, 5, 20, 8, 48, 453_999, tzinfo=UTC)
    assert format_timestamp(at) == "2022-07-05T20:08:48.453Z"


def test_wire__a_timestamp_in_another_zone_is_written_in_utc() -> None:
    at = datetime(2022, 7, 5, 22, 8, 48, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_timestamp(at) == "2022-07-05T20:08:48.000Z"
