"""Periods in the client's time zone: which day, week (Monday start) or month a moment is in,
when the period ends, whether it is finished, and how a client reads its name."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from zartsalgo_pipelines.proof.formatting import Formatter


@dataclass(frozen=True)
class Period:
    kind: str  # day, week, month
    start: dt.date  # local date of the first day

    @property
    def end(self) -> dt.date:
        """The last local day of the period."""
        return self.following().start - dt.timedelta(days=1)

    def following(self) -> "Period":
        if self.kind == "month":
            nxt = (self.start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return Period(self.kind, nxt)
        return Period(self.kind, self.start + dt.timedelta(days=1 if self.kind == "day" else 7))

    def previous(self) -> "Period":
        if self.kind == "month":
            return period_of(self.kind, self.start - dt.timedelta(days=1))
        return Period(self.kind, self.start - dt.timedelta(days=1 if self.kind == "day" else 7))

    def a_year_before(self) -> "Period":
        """Same month a year before; for days and weeks 52 weeks before (same weekday)."""
        if self.kind == "month":
            return Period(self.kind, self.start.replace(year=self.start.year - 1))
        return Period(self.kind, self.start - dt.timedelta(days=364))

    def ends_at_utc(self, zone: str) -> dt.datetime:
        """The naive UTC moment the period is over (local midnight after its last day)."""
        local = dt.datetime.combine(self.following().start, dt.time(), zoneinfo.ZoneInfo(zone))
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    def label(self, locale: str = "en_GB") -> str:
        """`week of 16 November 2026`, `November 2026`, `16 November 2026` (dates in the
        client's locale)."""
        words = Formatter(locale)
        if self.kind == "week":
            return f"week of {words.date(self.start)}"
        if self.kind == "month":
            return words.month(self.start)
        return words.date(self.start)


def period_of(kind: str, day: dt.date) -> Period:
    """The period of kind ``kind`` that holds the local date ``day``."""
    if kind == "week":
        return Period(kind, day - dt.timedelta(days=day.weekday()))
    if kind == "month":
        return Period(kind, day.replace(day=1))
    return Period(kind, day)


def local_date(moment: dt.datetime, zone: str) -> dt.date:
    """The local date in ``zone`` of a naive UTC moment."""
    aware = moment.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(zone))
    return aware.date()


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period from ``first`` to ``last``, both included."""
    found = []
    current = first
    while current.start <= last.start:
        found.append(current)
        current = current.following()
    return found
