"""Data freshness beside sync freshness: is new data still arriving?

A sync can succeed every night and still bring nothing new (yesterday's export left in place,
a form that broke). Each client's silence is judged against its own recent rate: at ``r``
records a day, ``t`` days without one happen by chance with probability ``exp(-r t)``, so the
silence is news once that is below ``1 - confidence`` (99 % by default): after
``-ln(1 - confidence) / r`` days, and never sooner than the provider's ``stale_after_hours``.
The rate is read from the last ``lookback_days`` (or since the client's first record in them,
at least a week), and a record may take ``delay_hours`` (default ``stale_after_hours``) to reach
us (a nightly export brings yesterday's records), so that delay is added to the silence chance
explains. A client who sends 12 requests a week is news after 2.7 days; one who sends
one a month only after 129 days. The provider as a whole is judged the same way with all its
clients' records.
"""

import datetime as dt
import math
from dataclasses import dataclass

import sqlalchemy as sa

from zartsalgo_pipelines.incidents.alerts import AlertEvent, raise_alert, resolve_alerts
from zartsalgo_pipelines.incidents.kinds import NO_NEW_DATA
from zartsalgo_pipelines.incidents.staleness import age_text
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.freshness import Arrivals, arrivals, records_between
from zartsalgo_pipelines.tables import OBJECT_MODELS, table_of


@dataclass(frozen=True)
class Silence:
    """How long one client (or the provider, ``client_key`` None) has sent nothing new."""

    client_key: str | None
    newest: dt.datetime | None  # the newest record's own time (naive UTC), if any
    recent: int  # records in the lookback window
    usual_gap: dt.timedelta | None  # silence longer than this is news (None: too rare to tell)
    silent: bool
    rate_per_day: float = 0.0  # its usual rate, before any silence


@dataclass(frozen=True)
class Freshness:
    """A provider's data freshness: the provider as a whole and each client."""

    provider: Silence
    clients: dict[str, Silence]
    last_stored_at: dt.datetime | None  # newest new or changed record stored

    @property
    def silent_clients(self) -> list[Silence]:
        return [s for s in self.clients.values() if s.silent]

    def empty_period_is_news(self, client: str, days: float, confidence: float) -> bool:
        """Whether a period of ``days`` with no record is beyond chance at the client's usual
        rate (a client who sends one a month often has an empty week)."""
        own = self.clients.get(client)
        return own is not None and math.exp(-own.rate_per_day * days) < 1 - confidence

    def silence_of(self, client: str) -> Silence | None:
        """The client's silence when it is news (the provider's, if the whole provider is)."""
        own = self.clients.get(client)
        if own is not None and own.silent:
            return own
        return self.provider if self.provider.silent else None


MIN_SPAN = dt.timedelta(days=7)


def usual_gap(
    recent: int, span: dt.timedelta, confidence: float, delay_hours: float
) -> dt.timedelta | None:
    """The longest silence chance explains at ``recent`` records in ``span`` (at least a
    week), plus the ``delay_hours`` a record may take to reach us; None without records to
    tell a rate from."""
    if recent == 0:
        return None
    rate_per_day = recent / (max(span, MIN_SPAN).total_seconds() / 86400)
    days = -math.log(1 - confidence) / rate_per_day
    return dt.timedelta(days=days) + dt.timedelta(hours=delay_hours)


def _silence(
    spec: ProviderSpec, client: str | None, seen: Arrivals, now: dt.datetime, day_field: bool
) -> Silence:
    """A client's (or the provider's) silence, judged by its rate before the silence began
    (so a long silence never lowers the rate it is judged by). A date field's newest value is
    over at the end of its day."""
    newest = seen.newest
    if newest is None:
        return Silence(client, None, seen.recent, None, False)
    span = newest - max(
        newest - dt.timedelta(days=spec.freshness.lookback_days), seen.first_recent or newest
    )
    delay = spec.freshness.delay_hours
    gap = usual_gap(
        seen.recent,
        span,
        spec.freshness.confidence,
        spec.stale_after_hours if delay is None else delay,
    )
    over = newest + dt.timedelta(days=1) if day_field else newest
    silent = gap is not None and now - over > gap
    rate = seen.recent / (max(span, MIN_SPAN).total_seconds() / 86400)
    return Silence(client, newest, seen.recent, gap, silent, rate)


def freshness(conn: sa.Connection, spec: ProviderSpec, now: dt.datetime) -> Freshness | None:
    """The provider's data freshness at ``now``; None when the spec names no time field."""
    field = spec.freshness_field
    if field is None:
        return None
    entry = spec.field(field)
    day_field = entry is not None and entry.type == "date"
    table = table_of(OBJECT_MODELS[spec.object_type])
    found = arrivals(conn, table, spec.key, field, spec.freshness.lookback_days, now)
    clients = {a.client_key: _silence(spec, a.client_key, a, now, day_field) for a in found}
    newest = max((a.newest for a in found if a.newest), default=None)
    recent, first = 0, None
    if newest is not None:  # the provider as a whole: its rate before its newest record
        since = newest - dt.timedelta(days=spec.freshness.lookback_days)
        recent, first = records_between(conn, table, spec.key, field, since, newest)
    stored = max((a.last_stored_at for a in found if a.last_stored_at), default=None)
    provider = _silence(spec, None, Arrivals("", newest, recent, first, stored), now, day_field)
    return Freshness(provider, clients, stored)


def _who(silences: list[Silence], now: dt.datetime) -> str:
    parts = [
        f"{s.client_key or 'any client'} ({age_text(now - s.newest)} without one"
        f"{', usually at most ' + age_text(s.usual_gap) if s.usual_gap else ''})"
        for s in silences
        if s.newest is not None
    ]
    return ", ".join(parts[:5]) + (f" and {len(parts) - 5} more" if len(parts) > 5 else "")


def refresh_no_new_data(
    conn: sa.Connection, spec: ProviderSpec, fresh: Freshness | None, now: dt.datetime
) -> list[AlertEvent]:
    """Open `no_new_data` while a client (or the provider) is silent for longer than usual;
    resolve it as soon as data flows again."""
    silent = [] if fresh is None else fresh.silent_clients
    if fresh is not None and fresh.provider.silent:
        silent = [fresh.provider, *silent]
    if spec.status != "connected" or not silent:
        return resolve_alerts(conn, spec.key, NO_NEW_DATA)
    return raise_alert(
        conn,
        spec,
        NO_NEW_DATA,
        keep_current=True,
        who=_who(silent, now),
        details={
            "silent": [
                {
                    "client": s.client_key,
                    "newest_record": s.newest.isoformat() if s.newest else None,
                    "usual_gap_hours": round(s.usual_gap.total_seconds() / 3600, 1)
                    if s.usual_gap
                    else None,
                }
                for s in silent[:50]
            ]
        },
    )
