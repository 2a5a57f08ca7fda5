"""Test data builders and small database probes shared by the test modules."""

from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.tables import OBJECT_MODELS

DROP = object()  # quote(..., contact__email=DROP) removes the key

OUTCOMES = ("created", "updated", "failed", "duplicate", "ignored")


def assert_every_row_accounted(
    engine: sa.Engine, batch_id: int, rows_in: int | None = None
) -> dict[str, int]:
    """Assert the ingestion invariant for one batch and return its outcome counts.

    Rows in (when given) = the batch's rows_total = its import rows = the sum of its five
    counters, and each counter equals its import rows; every failed import row has its dead
    letter; every record of the batch's provider has its external object, its link and the
    import row that created it, and no external object lacks its record.
    """
    with engine.connect() as conn:
        batch = conn.execute(
            sa.text(
                "SELECT provider_key, rows_total, rows_created, rows_updated, rows_failed, "
                "rows_duplicate, rows_ignored FROM data_import_batches WHERE id = :b"
            ),
            {"b": batch_id},
        ).one()
        statuses = dict(
            conn.execute(
                sa.text(
                    "SELECT status, COUNT(*) FROM data_import_rows WHERE batch_id = :b "
                    "GROUP BY status"
                ),
                {"b": batch_id},
            ).all()
        )
        undead = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM data_import_rows r WHERE r.batch_id = :b AND r.status = "
                "'failed' AND NOT EXISTS (SELECT 1 FROM integration_dead_letters d WHERE "
                "d.provider_key = :p AND d.payload_hash = r.payload_hash)"
            ),
            {"b": batch_id, "p": batch.provider_key},
        ).scalar_one()
        orphans, objects = _record_orphans(conn, batch.provider_key)
    counters = dict(zip(OUTCOMES, batch[2:], strict=True))
    if rows_in is not None:
        assert batch.rows_total == rows_in, (batch.rows_total, rows_in)
    assert sum(counters.values()) == batch.rows_total == sum(statuses.values())
    assert {k: v for k, v in counters.items() if v} == {k: int(v) for k, v in statuses.items()}
    assert undead == 0, f"{undead} failed rows without a dead letter"
    assert orphans == 0, f"{orphans} records without their object, link or import row"
    assert objects == 0, f"{objects} external objects without a record"
    return counters


def _record_orphans(conn: sa.Connection, provider_key: str) -> tuple[int, int]:
    orphans = objects = 0
    for object_type, model in OBJECT_MODELS.items():
        table = model.__tablename__
        where = {"p": provider_key, "t": object_type, "table": table}
        orphans += conn.execute(
            sa.text(
                f"SELECT COUNT(*) FROM {table} q WHERE q.provider_key = :p AND ("
                "NOT EXISTS (SELECT 1 FROM integration_external_objects o "
                "JOIN integration_object_links l ON l.external_object_id = o.id "
                "AND l.record_table = :table AND l.record_id = q.id "
                "WHERE o.provider_key = :p AND o.object_type = :t "
                "AND o.external_id = q.external_id) "
                "OR NOT EXISTS (SELECT 1 FROM data_import_rows r JOIN data_import_batches b "
                "ON b.id = r.batch_id WHERE b.provider_key = :p "
                "AND r.external_id = q.external_id AND r.status = 'created'))"
            ),
            where,
        ).scalar_one()
        objects += conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM integration_external_objects o WHERE o.provider_key = :p "
                f"AND o.object_type = :t AND NOT EXISTS (SELECT 1 FROM {table} q "
                "WHERE q.provider_key = :p AND q.external_id = o.external_id)"
            ),
            where,
        ).scalar_one()
    return int(orphans), int(objects)


def quote(number: int, **changes: Any) -> dict[str, Any]:
    """A valid provider record in the shipped quote_request export format."""
    record: dict[str, Any] = {
        "id": f"QR-{number:05d}",
        "client": {"slug": "acme-roofing"},
        "submitted_at": "2026-11-16T10:00:00Z",
        "updated_at": "2026-11-16T10:00:00Z",
        "status": "new",
        "contact": {"name": "Zoë Müller", "email": f"zoe{number}@example.org", "phone": "+49 30 1"},
        "answers": [{"field": {"ref": "service"}, "text": "roof repair"}],
        "budget": {"amount": 1200.5, "currency": "EUR"},
        "postal_code": "10115",
        "message": "Bitte um Rückruf ❄️",
        "page": {"url": "https://www.example.org/angebot"},
        "form_version": "v3",
        "is_test": False,
    }
    for path, value in changes.items():
        target = record
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is DROP:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return record


def count(engine: sa.Engine, table: str, where: str = "") -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table} {where}")).scalar_one())


def snapshot(engine: sa.Engine, table: str, columns: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.text(f"SELECT {columns} FROM {table} ORDER BY 1"))
        ]
