"""The order of message statuses, checked directly on the rule (no server, no database).

A status only moves forward along Pending, Sent, Delivered, Read; Failed only
before the handset has the message; late and repeated reports change nothing;
the times a status implies are filled and never run backwards.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msgboxx.messages.service import status_changes
from msgboxx.messages.status import RANK, MessageStatus, implied, may_move

S = MessageStatus
T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)

# Every move a report may make, written out from the business rule: up the ladder
# Pending < Sent < Delivered < Read, and to Failed from Pending or Sent only.
MOVES = {
    (S.pending, S.sent),
    (S.pending, S.delivered),
    (S.pending, S.read),
    (S.sent, S.delivered),
    (S.sent, S.read),
    (S.delivered, S.read),
    (S.pending, S.failed),
    (S.sent, S.failed),
}
TIMES = ("sent_at", "delivered_at", "read_at")


def message(**values: Any) -> dict[str, Any]:
    """A message's columns as status_changes reads them; Pending with no times by default."""
    row: dict[str, Any] = {
        "status": S.pending,
        "sent_at": None,
        "delivered_at": None,
        "read_at": None,
        "failed_at": None,
        "failure_reason": None,
        "next_attempt_at": T0,
    }
    row.update(values)
    return row


def report(
    row: dict[str, Any], status: MessageStatus, at: datetime, reason: str | None = None
) -> bool:
    """Apply one report the way the intake does; whether it changed the message."""
    if not may_move(row["status"], status):
        return False
    row.update(status_changes(row.__getitem__, status, at=at, failure_reason=reason))
    return True


@pytest.mark.parametrize(
    ("current", "new"),
    list(itertools.product(MessageStatus, MessageStatus)),
    ids=lambda status: status.value,
)
def test_status__every_pair_moves_only_forward_or_to_failed_before_delivery(
    current: MessageStatus, new: MessageStatus
) -> None:
    assert may_move(current, new) is ((current, new) in MOVES)


@pytest.mark.parametrize("status", list(MessageStatus), ids=lambda status: status.value)
def test_status__a_repeated_report_changes_nothing(status: MessageStatus) -> None:
    assert not may_move(status, status)


@pytest.mark.parametrize(
    ("current", "late"),
    [(S.delivered, S.sent), (S.read, S.sent), (S.read, S.delivered), (S.delivered, S.pending)],
    ids=lambda status: status.value,
)
def test_status__a_late_report_changes_nothing(current: MessageStatus, late: MessageStatus) -> None:
    row = message(
        status=current, sent_at=T0, delivered_at=T0, read_at=T0 if current is S.read else None
    )
    before = dict(row)
    assert not report(row, late, T0 + timedelta(minutes=5))
    assert row == before


@pytest.mark.parametrize("current", [S.delivered, S.read], ids=lambda status: status.value)
def test_status__failed_after_the_handset_has_the_message_changes_nothing(
    current: MessageStatus,
) -> None:
    row = message(
        status=current, sent_at=T0, delivered_at=T0, read_at=T0 if current is S.read else None
    )
    before = dict(row)
    assert not report(row, S.failed, T0 + timedelta(seconds=1), "131026")
    assert row == before


@pytest.mark.parametrize("current", [S.failed, S.received], ids=lambda status: status.value)
def test_status__failed_and_received_messages_never_move(current: MessageStatus) -> None:
    assert not any(may_move(current, new) for new in MessageStatus)


def test_status__the_ladder_is_pending_sent_delivered_read() -> None:
    ladder = sorted(RANK, key=RANK.__getitem__)
    assert ladder == [S.pending, S.sent, S.delivered, S.read]
    assert len(set(RANK.values())) == len(RANK)
    assert S.failed not in RANK and S.received not in RANK


@pytest.mark.parametrize(
    ("status", "statuses"),
    [
        (S.pending, []),
        (S.sent, [S.sent]),
        (S.delivered, [S.sent, S.delivered]),
        (S.read, [S.sent, S.delivered, S.read]),
        (S.failed, [S.failed]),
    ],
    ids=lambda value: value.value if isinstance(value, MessageStatus) else "",
)
def test_status__a_report_implies_the_statuses_below_it(
    status: MessageStatus, statuses: list[MessageStatus]
) -> None:
    assert implied(status) == statuses


def test_status__read_on_a_sent_message_fills_delivered_at_with_its_time() -> None:
    row = message(status=S.sent, sent_at=T0, next_attempt_at=None)
    read_at = T0 + timedelta(minutes=3)
    assert report(row, S.read, read_at)
    assert row["status"] is S.read
    assert row["sent_at"] == T0
    assert row["delivered_at"] == read_at
    assert row["read_at"] == read_at


def test_status__read_first_fills_sent_delivered_and_read() -> None:
    assert report(row := message(), S.read, T0)
    assert (row["sent_at"], row["delivered_at"], row["read_at"]) == (T0, T0, T0)


def test_status__delivered_keeps_the_sent_time_already_recorded() -> None:
    row = message(status=S.sent, sent_at=T0)
    assert report(row, S.delivered, T0 + timedelta(seconds=2))
    assert row["sent_at"] == T0
    assert row["delivered_at"] == T0 + timedelta(seconds=2)


def test_status__a_network_time_in_whole_seconds_never_runs_before_sent_at() -> None:
    # We stamp Sent to the millisecond; the network reports Delivered and Read in
    # whole seconds, which can be earlier than our own Sent time.
    sent = T0 + timedelta(milliseconds=750)
    row = message(status=S.sent, sent_at=sent)
    assert report(row, S.delivered, T0)
    assert row["delivered_at"] == sent
    assert report(row, S.read, T0)
    assert row["sent_at"] <= row["delivered_at"] <= row["read_at"]
    assert row["read_at"] == sent


def test_status__failed_at_is_never_before_sent_at() -> None:
    sent = T0 + timedelta(milliseconds=400)
    row = message(status=S.sent, sent_at=sent)
    assert report(row, S.failed, T0, "131049")
    assert row["status"] is S.failed
    assert row["failed_at"] == sent


def test_status__failed_carries_its_reason_and_leaves_the_queue() -> None:
    row = message()
    assert report(row, S.failed, T0, "x" * 600)
    assert row["failure_reason"] == "x" * 500
    assert row["failed_at"] == T0
    assert row["next_attempt_at"] is None
    assert report(other := message(), S.failed, T0)
    assert other["failure_reason"] == "failed"


REPORTS = st.lists(
    st.tuples(
        st.sampled_from([S.sent, S.delivered, S.read, S.failed]),
        st.integers(min_value=-5_000, max_value=5_000).map(
            lambda ms: T0 + timedelta(milliseconds=ms)
        ),
    ),
    max_size=12,
)


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(reports=REPORTS)
def test_status__any_sequence_of_reports_keeps_the_times_in_order(
    reports: list[tuple[MessageStatus, datetime]],
) -> None:
    row = message()
    for status, at in reports:
        report(row, status, at, "boom")
    times = [row[column] for column in TIMES if row[column] is not None]
    assert times == sorted(times)
    if row["failed_at"] is not None and row["sent_at"] is not None:
        assert row["failed_at"] >= row["sent_at"]


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(reports=REPORTS)
def test_status__any_sequence_of_reports_ends_at_the_highest_reported_status(
    reports: list[tuple[MessageStatus, datetime]],
) -> None:
    row = message()
    for status, at in reports:
        report(row, status, at, "boom")
    statuses = [status for status, _at in reports]
    handset = [i for i, status in enumerate(statuses) if status in (S.delivered, S.read)]
    if S.failed in statuses and (not handset or statuses.index(S.failed) < handset[0]):
        assert row["status"] is S.failed  # it failed before the handset had it: final
    else:
        ladder = [status for status in statuses if status in RANK]
        assert row["status"] is max(ladder, key=RANK.__getitem__, default=S.pending)
    # The status's own time and the times it implies are filled.
    for step in implied(row["status"]):
        assert row[f"{step.value.lower()}_at"] is not None


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(reports=REPORTS)
def test_status__a_recorded_time_is_never_rewritten_by_a_later_report(
    reports: list[tuple[MessageStatus, datetime]],
) -> None:
    row = message()
    for status, at in reports:
        before = {column: row[column] for column in (*TIMES, "failed_at")}
        report(row, status, at, "boom")
        for column, time in before.items():
            if time is not None:
                assert row[column] == time
