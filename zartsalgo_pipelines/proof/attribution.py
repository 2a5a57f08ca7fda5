"""Which client periods a provider's failed rows belong to.

A failed row is missing from the numbers of the client and period it belongs to, and only from
those: a replay that fails again, a manual entry or one bad webhook delivery never puts another
client's week in doubt. Each open dead letter is placed by its own client and time (read from
its payload with the spec's source paths); a letter whose time cannot be read is spread over
that client's open periods in proportion to the records each holds; one whose client cannot be
read belongs to no client's numbers and is left to the owner (the dead letters on the owner's
page). ``proof/visibility.py`` judges the result like the field checks: failed /
max(records + failed, min_rows) against the tolerated share; a caveat names only whole rows.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from zartsalgo_pipelines.jsonpaths import compile_safe_getter
from zartsalgo_pipelines.proof.periods import local_date, period_of
from zartsalgo_pipelines.specs.fields import FieldMapEntry
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec

Cell = tuple[str, dt.date]  # client, period start


def _reader(entry: FieldMapEntry) -> Callable[[Any], Any]:
    """What the field map reads for ``entry`` from a payload: its constant, or its source
    path (its default when the path finds nothing); a failing expression reads as nothing."""
    if entry.source is None:
        return lambda payload: entry.constant
    get = compile_safe_getter(entry.source)

    def read(payload: Any) -> Any:
        value = get(payload)
        return entry.default if value is None else value

    return read


def _client(spec: ProviderSpec, value: Any) -> str | None:
    entry = spec.field("client_key")
    if not isinstance(value, str | int) or isinstance(value, bool) or entry is None:
        return None
    text = str(value).strip()
    if entry.values:
        text = entry.values.get(text, text)
    return (text.casefold() if entry.casefold else text) or None


def _day(value: Any, entry: FieldMapEntry, zone: str) -> dt.date | None:
    """The local day of a payload's time as the field map reads it (ISO 8601, or the
    entry's declared strftime format); None when it cannot be read."""
    text = value.strip() if isinstance(value, str) else str(value) if type(value) is int else None
    if text is None:
        return None
    try:
        if entry.format is not None:
            moment = dt.datetime.strptime(text, entry.format)
        elif entry.type == "date":
            return dt.date.fromisoformat(text[:10])
        else:
            moment = dt.datetime.fromisoformat(text)
        if entry.type == "date":
            return moment.date()
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return local_date(moment, zone)
    except (ValueError, OverflowError):  # unreadable, or at the calendar's edge (year 1, 9999)
        return None


def _spread(target: dict[Cell, float], amount: float, cells: list[Cell], weights: Counter) -> None:
    """Add ``amount`` over ``cells`` in proportion to ``weights`` (evenly if all are zero)."""
    if not cells or not amount:
        return
    total = sum(weights[c] for c in cells)
    for cell in cells:
        share = weights[cell] / total if total else 1 / len(cells)
        target[cell] = target.get(cell, 0.0) + amount * share


def attribute_failures(
    spec: ProviderSpec,
    metric: MetricSpec,
    payloads: Iterable[Any],
    records: Counter,
    cells: set[Cell],
) -> dict[Cell, float]:
    """Failed rows per open cell of ``metric``'s periods. ``records`` counts every record per
    cell (what a period holds). A row whose client cannot be read is placed nowhere: it cannot
    belong to a client's numbers more than to any other's (the owner's page lists it)."""
    client_entry, time_entry = spec.field("client_key"), spec.field(metric.time_field)
    if client_entry is None or time_entry is None:
        return {}
    client_of, time_of = _reader(client_entry), _reader(time_entry)
    zone = metric.timezone or spec.timezone
    placed: Counter = Counter()
    client_only: Counter = Counter()
    for payload in payloads:
        client = _client(spec, client_of(payload))
        if client is None:
            continue
        day = _day(time_of(payload), time_entry, zone)
        if day is None:
            client_only[client] += 1
        else:
            placed[(client, period_of(metric.period, day).start)] += 1
    result: dict[Cell, float] = {c: float(placed[c]) for c in cells if placed[c]}
    ordered = sorted(cells)
    for client, amount in client_only.items():
        _spread(result, amount, [c for c in ordered if c[0] == client], records)
    return result
