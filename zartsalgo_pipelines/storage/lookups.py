"""Per-chunk lookups: which payload hashes and external ids are stored, which payloads failed.

``pipeline/classify.py`` asks these once per chunk. Each query restricts a column to thousands
of values passed as one JSON array bound to one parameter (``listed``), so the statement's text
is the same for every chunk.
"""

from typing import Any

import orjson
import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import KnownFailure
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.tables.core import batches, dead_letters, versions


def _of_provider(spec: ProviderSpec) -> Any:
    return (versions.c.provider_key == spec.key) & (versions.c.object_type == spec.object_type)


def listed(conn: sa.Connection, query: sa.Select[Any], column: Any, values: list[str]) -> Any:
    """``query`` restricted to rows whose ``column`` is one of ``values`` (thousands of them).

    On MySQL a ``JSON_TABLE`` of the array is joined on the column's index; on SQLite
    ``json_each`` feeds an IN subquery. An IN list of bound values was slower on MySQL and, one
    statement per chunk length, filled SQLite's statement cache (docs/performance.md).
    """
    if conn.dialect.name == "mysql":
        # JSON_TABLE cuts longer values to the column width, which could match a stored prefix;
        # no stored key is longer than 191 characters, so such values cannot match anything.
        kept = orjson.dumps([v for v in values if len(v) <= 191]).decode()
        array = sa.text(
            "JSON_TABLE(:zt_listed, '$[*]' COLUMNS (value VARCHAR(191) PATH '$')) AS zt_listed"
        ).bindparams(zt_listed=kept)
        return query.select_from(array).where(column == sa.literal_column("zt_listed.value"))
    each = sa.func.json_each(sa.bindparam("zt_listed", orjson.dumps(values).decode()))
    listed_values: sa.Select[Any] = sa.select(sa.literal_column("value")).select_from(each)
    return query.where(column.in_(listed_values.scalar_subquery()))


def stored_hashes(conn: sa.Connection, spec: ProviderSpec, ids: list[str]) -> set[str]:
    """Payload hashes stored for ``ids``, fetched as one GROUP_CONCAT value.

    Reading thousands of one-column rows through pymysql cost more than the rest of a re-run;
    one concatenated value does not. If the server truncated it (group_concat_max_len), the
    count tells, and the hashes are read row by row instead.
    """
    if not ids:
        return set()
    ids = sorted(set(ids))
    counted = sa.select(sa.func.count(), sa.func.group_concat(versions.c.payload_hash))
    total, joined = conn.execute(
        listed(conn, counted.where(_of_provider(spec)), versions.c.external_id, ids)
    ).one()
    digests = joined.split(",") if joined else []
    if len(digests) != total:
        rows = sa.select(versions.c.payload_hash).where(_of_provider(spec))
        return set(conn.execute(listed(conn, rows, versions.c.external_id, ids)).scalars())
    return set(digests)


def existing_ids(conn: sa.Connection, spec: ProviderSpec, ids: set[str]) -> set[str]:
    """Which of ``ids`` have any stored version (asked only for rows that are not duplicates)."""
    if not ids:
        return set()
    query = sa.select(versions.c.external_id).distinct().where(_of_provider(spec))
    return set(conn.execute(listed(conn, query, versions.c.external_id, sorted(ids))).scalars())


def known_failures(
    conn: sa.Connection, spec: ProviderSpec, hashes: list[str]
) -> dict[str, KnownFailure]:
    """Which of ``hashes`` are open dead letters that failed under the current field map, with
    how they failed.

    A dead letter's last batch records the spec version it failed under; after a spec change
    the payload is validated again (it may pass now).
    """
    if not hashes:
        return {}
    same_spec = sa.select(batches.c.id).where(
        batches.c.provider_key == spec.key, batches.c.spec_version == spec.version
    )
    query = sa.select(
        dead_letters.c.payload_hash, dead_letters.c.reason, dead_letters.c.failures
    ).where(
        dead_letters.c.provider_key == spec.key,
        dead_letters.c.state == "open",
        dead_letters.c.failures.is_not(None),
        dead_letters.c.last_batch_id.in_(same_spec),
    )
    found = conn.execute(listed(conn, query, dead_letters.c.payload_hash, hashes))
    return {digest: KnownFailure.from_json(reason, failures) for digest, reason, failures in found}
