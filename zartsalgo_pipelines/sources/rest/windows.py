"""Date windows of an incremental REST source: the `since`/`until` pairs an extract asks for.

A reporting API takes a bounded range per request (Google Ads and Meta report at most so many
days at a time), so a backfill of a year is many windows of at most ``window_days`` days, from
the start cursor up to now. With ``send_as: date`` a window is whole days with both bounds
included (`since=2026-08-01&until=2026-08-31`), as reporting APIs take them; otherwise it is a
span of time and each window starts where the one before it ended.
"""

import datetime as dt
from dataclasses import dataclass

from zartsalgo_pipelines.sources.rest.incremental import send_value
from zartsalgo_pipelines.specs.rest import IncrementalSpec

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """One request series' bounds, as sent; None where nothing is sent."""

    start: str | int | None
    end: str | int | None = None


def windows_of(
    incremental: IncrementalSpec | None,
    start: dt.datetime | int | None,
    now: dt.datetime | None = None,
) -> list[Window]:
    """The windows an extract reads, in order, from ``start`` (``start_cursor``) to ``now``.

    One open window (the start only) when the source sends no end; one window up to now when
    it sends an end but no ``window_days``.
    """
    if incremental is None or start is None:
        return [Window(None)]
    if not incremental.has_end or not isinstance(
        start, dt.datetime
    ):  # an integer cursor has no window
        return [Window(send_value(incremental, start))]
    now = now or dt.datetime.now(dt.UTC)
    if incremental.send_as == "date":
        return _day_windows(incremental, start.date(), now.date())
    span = dt.timedelta(days=incremental.window_days) if incremental.window_days else None
    windows = []
    while True:
        end = max(start, now if span is None else min(start + span, now))
        windows.append(Window(send_value(incremental, start), send_value(incremental, end)))
        if end >= now:
            return windows
        start = end


def _day_windows(incremental: IncrementalSpec, first: dt.date, today: dt.date) -> list[Window]:
    days = incremental.window_days
    windows = []
    while True:
        last = max(first, today if days is None else min(first + (days - 1) * _DAY, today))
        windows.append(Window(_day(incremental, first), _day(incremental, last)))
        if last >= today:
            return windows
        first = last + _DAY


def _day(incremental: IncrementalSpec, day: dt.date) -> str | int:
    return send_value(incremental, dt.datetime.combine(day, dt.time(), dt.UTC))
