"""Aggregates over a reporting provider's facts that its metrics and their explanations are
built from: per client and day, the rows and each measure's sum, sum of squares and values.

Sums run in the database and are exact: DECIMAL on MySQL; on SQLite, which keeps the values as
doubles and would sum them as doubles (past fifteen digits no longer to the micro), as whole
micros (each value's fifteen digits survive a double, its micros are a 64-bit integer).
Money is summed in one currency at a time.
"""

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.specs.facts import dimension_name
from zartsalgo_pipelines.specs.metrics import MetricFilter
from zartsalgo_pipelines.tables.core import batches, fact_revisions, fact_values, facts

_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class FactScope:
    """Which facts a metric reads: one provider's, optionally one client's and days, filtered
    on a dimension or the currency, and for money in one currency."""

    provider_key: str
    filter: MetricFilter | None = None
    currency: str | None = None
    client_key: str | None = None
    client_keys: tuple[str, ...] | None = None  # these clients' only (a marked refresh)
    first_day: dt.date | None = None
    last_day: dt.date | None = None  # included


@dataclass
class DayBucket:
    """One client's facts of one day: rows, and per measure (sum, sum of squares, values)."""

    client_key: str
    day: dt.date
    rows: int = 0
    sums: dict[str, tuple[Decimal, Decimal, int]] = field(default_factory=dict)
    first_batch_id: int | None = None
    last_batch_id: int | None = None


_MICROS = 1_000_000


def exact_sum(conn: sa.Connection, column: Any) -> Any:
    """SUM of a measure column, exact on both databases (read it back with ``exact``)."""
    if conn.dialect.name == "sqlite":
        return sa.func.sum(sa.cast(sa.func.round(column * _MICROS), sa.BigInteger))
    return sa.func.sum(column)


def exact(conn: sa.Connection, value: Any) -> Decimal:
    """An ``exact_sum`` as the decimal it is."""
    if value is None:
        return Decimal(0)
    if conn.dialect.name == "sqlite":
        return (Decimal(int(value)) / _MICROS).quantize(_PLACES)
    return Decimal(str(value)).quantize(_PLACES)


def _approximate(value: Any) -> Decimal:
    """A sum of squares (for a test of chance only, where a double is plenty)."""
    return Decimal(0) if value is None else Decimal(str(value))


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def scoped(query: sa.Select[Any], scope: FactScope) -> sa.Select[Any]:
    """``query`` over ``metric_facts`` restricted to the scope's facts."""
    query = query.where(facts.c.provider_key == scope.provider_key)
    if scope.client_key is not None:
        query = query.where(facts.c.client_key == scope.client_key)
    if scope.client_keys is not None:
        query = query.where(facts.c.client_key.in_(scope.client_keys))
    if scope.first_day is not None:
        query = query.where(facts.c.fact_date >= scope.first_day)
    if scope.last_day is not None:
        query = query.where(facts.c.fact_date <= scope.last_day)
    if scope.currency is not None:
        query = query.where(facts.c.currency == scope.currency)
    condition = scope.filter
    if condition is None:
        return query
    name = dimension_name(condition.field)
    column = facts.c.currency if name is None else facts.c.dimensions[name].as_string()
    if condition.values is not None:
        return query.where(column.in_(condition.values))
    return query.where(column.is_not(None) if condition.present else column.is_(None))


def day_buckets(conn: sa.Connection, scope: FactScope, measures: Sequence[str]) -> list[DayBucket]:
    """Per client and day: the facts in scope, and the sums of ``measures`` (one GROUP BY for
    the rows, one over the measures' values)."""
    found: dict[tuple[str, dt.date], DayBucket] = {}
    rows = scoped(
        sa.select(
            facts.c.client_key,
            facts.c.fact_date,
            sa.func.count(),
            sa.func.min(facts.c.last_batch_id),
            sa.func.max(facts.c.last_batch_id),
        ).group_by(facts.c.client_key, facts.c.fact_date),
        scope,
    )
    for client, day, count, first, last in conn.execute(rows):
        found[(client, _day(day))] = DayBucket(client, _day(day), int(count), {}, first, last)
    if measures:
        value = fact_values.c.value
        sums = scoped(
            sa.select(
                facts.c.client_key,
                facts.c.fact_date,
                fact_values.c.measure_key,
                exact_sum(conn, value),
                sa.func.sum(value * value),
                sa.func.count(value),
            )
            .select_from(facts.join(fact_values, fact_values.c.fact_id == facts.c.id))
            .where(fact_values.c.measure_key.in_(list(measures)))
            .group_by(facts.c.client_key, facts.c.fact_date, fact_values.c.measure_key),
            scope,
        )
        for client, day, measure, total, squares, values in conn.execute(sums):
            bucket = found[(client, _day(day))]
            bucket.sums[measure] = (exact(conn, total), _approximate(squares), int(values))
    return sorted(found.values(), key=lambda b: (b.client_key, b.day))


def facts_by_batch(
    conn: sa.Connection, scope: FactScope, measures: Sequence[str]
) -> list[dict[str, Any]]:
    """The scope's facts by the batch that last wrote them, each measure summed, with that
    batch's own failed and ignored rows (those never became facts)."""
    batch = (batches.c.source_kind, batches.c.rows_failed, batches.c.rows_ignored)
    query = scoped(
        sa.select(
            facts.c.last_batch_id,
            fact_values.c.measure_key,
            sa.func.count(),
            exact_sum(conn, fact_values.c.value),
            *batch,
            batches.c.finished_at,
        )
        .select_from(
            facts.join(fact_values, fact_values.c.fact_id == facts.c.id).join(
                batches, batches.c.id == facts.c.last_batch_id
            )
        )
        .where(fact_values.c.measure_key.in_(list(measures)))
        .group_by(facts.c.last_batch_id, fact_values.c.measure_key, *batch, batches.c.finished_at)
        .order_by(facts.c.last_batch_id),
        scope,
    )
    found: dict[int, dict[str, Any]] = {}
    for batch_id, measure, rows, total, kind, failed, ignored, finished in conn.execute(query):
        entry = found.setdefault(
            batch_id,
            {
                "batch_id": batch_id,
                "rows": int(rows),
                "sums": {},
                "source_kind": kind,
                "batch_failed_rows": failed,
                "batch_ignored_rows": ignored,
                "finished_at": finished,
            },
        )
        entry["sums"][measure] = exact(conn, total)
    return list(found.values())


def rows_in_other_currencies(conn: sa.Connection, scope: FactScope) -> dict[str, int]:
    """Facts in scope but for the currency: rows per other currency (left out of a money
    metric, never converted)."""
    if scope.currency is None:
        return {}
    other = dataclasses.replace(scope, currency=None)
    query = scoped(
        sa.select(facts.c.currency, sa.func.count()).group_by(facts.c.currency), other
    ).where(sa.or_(facts.c.currency != scope.currency, facts.c.currency.is_(None)))
    return {str(currency): int(count) for currency, count in conn.execute(query)}


def revisions(
    conn: sa.Connection, scope: FactScope, measures: Sequence[str]
) -> list[dict[str, Any]]:
    """Restatements of the scope's facts: each measure's value before and after, by batch."""
    query = scoped(
        sa.select(
            fact_revisions.c.batch_id,
            fact_revisions.c.measure_key,
            sa.func.count(),
            exact_sum(conn, fact_revisions.c.value_before),
            exact_sum(conn, fact_revisions.c.value_after),
        )
        .select_from(facts.join(fact_revisions, fact_revisions.c.fact_id == facts.c.id))
        .where(fact_revisions.c.measure_key.in_(list(measures)))
        .group_by(fact_revisions.c.batch_id, fact_revisions.c.measure_key)
        .order_by(fact_revisions.c.batch_id, fact_revisions.c.measure_key),
        scope,
    )
    return [
        {
            "batch_id": batch_id,
            "measure": measure,
            "rows": int(rows),
            "before": exact(conn, before),
            "after": exact(conn, after),
        }
        for batch_id, measure, rows, before, after in conn.execute(query)
    ]
