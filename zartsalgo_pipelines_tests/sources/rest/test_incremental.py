"""The incremental cursor: the value a request sends on a first sync, after a stored mark (minus
the lookback), on a full resync, as epoch milliseconds and as an integer; the first request of
an extract sends it only for an incremental source (``start_value``)."""

import datetime as dt
import itertools
from typing import Any

import hypothesis.strategies as st
import pydantic
import pytest
from hypothesis import given, settings

from zartsalgo_pipelines.sources.rest import (
    HighWaterMark,
    Window,
    cursor_to_send,
    start_cursor,
    start_value,
    windows_of,
)
from zartsalgo_pipelines.specs.rest import IncrementalSpec


@pytest.mark.parametrize(
    ("incremental", "stored", "full", "expected"),
    [
        (
            {"cursor_path": "u", "initial_value": "2024-01-01T00:00:00Z", "param": "since"},
            None,
            False,
            "2024-01-01T00:00:00Z",
        ),
        (
            {
                "cursor_path": "u",
                "initial_value": "2024-01-01T00:00:00Z",
                "param": "since",
                "lookback_seconds": 300,
            },
            "2026-11-20T10:00:00Z",
            False,
            "2026-11-20T09:55:00Z",
        ),
        (
            {"cursor_path": "u", "initial_value": "2024-01-01T00:00:00Z", "param": "since"},
            "2026-11-20T10:00:00Z",
            True,
            "2024-01-01T00:00:00Z",
        ),
        (
            {
                "cursor_path": "u",
                "initial_value": "2024-01-01T00:00:00Z",
                "param": "s",
                "send_as": "epoch_milliseconds",
            },
            "2026-11-20T10:00:00+01:00",
            False,
            1795165200000,
        ),
        (
            {
                "cursor_path": "u",
                "cursor_type": "integer",
                "initial_value": "0",
                "param": "s",
                "send_as": "integer",
                "lookback_seconds": 10,
            },
            "1500",
            False,
            1490,
        ),
    ],
    ids=["initial", "stored-minus-lookback", "full-resync", "epoch-ms", "integer"],
)
def test_the_incremental_value_sent(
    incremental: dict[str, Any], stored: str | None, full: bool, expected: str | int
) -> None:
    spec = IncrementalSpec.model_validate(incremental)
    assert cursor_to_send(spec, stored, full_resync=full) == expected
    assert start_value(spec, stored, full_resync=full) == expected


def test_a_source_that_is_not_incremental_sends_no_start_value() -> None:
    assert start_value(None, "2026-11-20T10:00:00Z") is None


# The later tests: a first sync sends `initial_value` itself, whatever the lookback (the
# lookback re-reads before a STORED mark); dates are sent as plain dates; a long range is cut
# into windows of at most `window_days` days.
REPORT = {
    "cursor_path": "date",
    "initial_value": "2025-09-01",
    "param": "since",
    "send_as": "date",
    "lookback_seconds": 3 * 86400,
}


@pytest.mark.parametrize(
    ("incremental", "stored", "expected"),
    [
        (REPORT, None, "2025-09-01"),
        (REPORT | {"send_as": "iso"}, None, "2025-09-01T00:00:00Z"),
        (REPORT | {"send_as": "epoch_seconds"}, None, 1756684800),
        (REPORT, "2026-08-31T00:00:00Z", "2026-08-28"),
        (REPORT | {"format": "%Y%m%d"}, "2026-08-31T00:00:00Z", "20260828"),
    ],
    ids=["date", "iso", "epoch", "stored-date", "compact-date"],
)
def test_a_first_sync_sends_the_initial_value_itself_and_dates_as_dates(
    incremental: dict[str, Any], stored: str | None, expected: str | int
) -> None:
    spec = IncrementalSpec.model_validate(incremental)
    assert cursor_to_send(spec, stored) == expected


def test_a_records_date_is_read_in_the_declared_format() -> None:
    spec = IncrementalSpec.model_validate(REPORT | {"format": "%Y%m%d"})
    mark = HighWaterMark(spec)
    mark.see([{"date": "20260829"}, {"date": 20260831}, {"date": "2026-08-30"}, {"x": 1}])
    assert mark.stored == "2026-08-31T00:00:00Z"


NOW = dt.datetime(2026, 9, 3, 14, 30, tzinfo=dt.UTC)
WINDOWED = REPORT | {"end_param": "until", "window_days": 31}


def test_a_years_backfill_is_many_bounded_windows() -> None:
    spec = IncrementalSpec.model_validate(WINDOWED)
    plan = windows_of(spec, start_cursor(spec, None), NOW)
    days = [(dt.date.fromisoformat(str(w.start)), dt.date.fromisoformat(str(w.end))) for w in plan]
    assert len(days) == 12
    assert days[0][0] == dt.date(2025, 9, 1) and days[-1][1] == dt.date(2026, 9, 3)
    assert all((end - start).days + 1 <= 31 for start, end in days)
    assert all(b[0] == a[1] + dt.timedelta(days=1) for a, b in itertools.pairwise(days))


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2026, 9, 3), timezones=st.just(dt.UTC)),
    days=st.integers(1, 90),
    send_as=st.sampled_from(["date", "iso", "epoch_seconds"]),
)
def test_windows_cover_the_range_once_each_within_its_days(
    start: dt.datetime, days: int, send_as: str
) -> None:
    spec = IncrementalSpec.model_validate(WINDOWED | {"window_days": days, "send_as": send_as})
    plan = windows_of(spec, start, NOW)
    if send_as == "date":  # whole days, both bounds included
        spans = [
            (dt.date.fromisoformat(str(w.start)), dt.date.fromisoformat(str(w.end))) for w in plan
        ]
        assert spans[0][0] == start.date() and spans[-1][1] == NOW.date()
        assert all(0 <= (b - a).days < days for a, b in spans)
        assert all(b[0] == a[1] + dt.timedelta(days=1) for a, b in itertools.pairwise(spans))
        return
    read = (lambda v: dt.datetime.fromisoformat(str(v))) if send_as == "iso" else (
        lambda v: dt.datetime.fromtimestamp(int(v), dt.UTC)
    )  # fmt: skip
    instants = [(read(w.start), read(w.end)) for w in plan]
    assert instants[0][0] == start.replace(microsecond=0)
    assert instants[-1][1] == NOW
    assert all(dt.timedelta(0) <= b - a <= dt.timedelta(days=days) for a, b in instants)
    assert all(b[0] == a[1] for a, b in itertools.pairwise(instants))


def test_an_incremental_without_an_end_is_one_open_window() -> None:
    spec = IncrementalSpec.model_validate(REPORT)
    assert windows_of(spec, start_cursor(spec, None), NOW) == [Window("2025-09-01", None)]


@pytest.mark.parametrize(
    ("keys", "refused"),
    [
        ({"json_param": "time_range"}, False),  # Meta: time_range={"since":...,"until":...}
        ({"json_param": "time_range", "end_param": None, "end_body_path": "until"}, True),
        ({"json_param": "time_range", "param": None, "body_path": "since"}, True),
    ],
    ids=["query", "end-in-body", "start-in-body"],
)
def test_a_json_window_parameter_takes_its_keys_from_param_and_end_param(
    keys: dict[str, Any], refused: bool
) -> None:
    incremental = {k: v for k, v in (WINDOWED | keys).items() if v is not None}
    if refused:
        with pytest.raises(pydantic.ValidationError, match="json_param takes param and end_param"):
            IncrementalSpec.model_validate(incremental)
    else:
        assert IncrementalSpec.model_validate(incremental).json_param == "time_range"
