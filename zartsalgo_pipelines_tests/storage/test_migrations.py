"""Scenario: `alembic upgrade head` builds the schema on an empty SQLite and MySQL database,
and the SQLAlchemy models and the migrations describe the same schema."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.tables import Base
from zartsalgo_pipelines.tables.core import external_objects

SEED_TABLES = {
    "integration_field_mappings",
    "integration_external_objects",
    "integration_object_links",
    "data_import_rows",
    "data_import_batches",
}


def test_migrations_create_every_table(db_url: str) -> None:
    engine = create_engine(db_url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert names >= SEED_TABLES
    assert set(Base.metadata.tables) <= names
    assert "alembic_version" in names


def test_models_and_migrations_agree(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == [], (
        "models changed without a migration: run `alembic revision --autogenerate`"
    )


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        (
            "data_import_batches",
            {
                "id",
                "provider_key",
                "source_kind",
                "status",
                "started_at",
                "finished_at",
                "rows_total",
                "rows_created",
                "rows_updated",
                "rows_failed",
                "rows_duplicate",
                "rows_ignored",
            },
        ),
        (
            "data_import_rows",
            {
                "batch_id",
                "row_number",
                "external_id",
                "status",
                "reason",
                "source_ref",
                "source_position",
            },
        ),
        (
            "integration_external_objects",
            {
                "provider_key",
                "object_type",
                "external_id",
                "payload_hash",
                "first_seen_at",
                "last_seen_at",
                "source_updated_at",
                "raw_payload",
            },
        ),
        (
            "integration_object_links",
            {"external_object_id", "record_table", "record_id", "match_method"},
        ),
    ],
)
def test_seed_tables_have_the_required_columns(table: str, columns: set[str]) -> None:
    assert columns <= set(Base.metadata.tables[table].columns.keys())


@pytest.mark.parametrize("table", ["client_metrics", "portal_cards", "report_notes"])
def test_portal_facing_table_has_no_payload_columns(table: str) -> None:
    columns = set(Base.metadata.tables[table].columns.keys())
    assert not {c for c in columns if "payload" in c or "raw" in c or "context" in c}
    assert not {"external_id", "contact_email", "contact_name", "message"} & columns


def test_portal_feed_view_exists(db_url: str) -> None:
    engine = create_engine(db_url)
    views = set(sa.inspect(engine).get_view_names())
    engine.dispose()
    assert "portal_feed" in views


JSON_TEXT_COLUMNS = [
    ("integration_external_objects", "raw_payload"),
    ("quote_requests", "source_context"),
    ("crm_deals", "source_context"),
    ("metric_facts", "source_context"),
]


@pytest.mark.mysql
def test_json_the_pipeline_writes_is_stored_without_a_check_per_row(mysql_url: str) -> None:
    """The models' ``JsonText`` columns are LONGTEXT with no JSON_VALID check on MySQL (the
    model comparison above cannot tell: MariaDB reports its JSON as LONGTEXT too); the JSON
    other writers fill (dead letters' payloads, facts' dimensions) keeps its check."""
    engine = create_engine(mysql_url)
    with engine.connect() as conn:
        created = {
            table: conn.exec_driver_sql(f"SHOW CREATE TABLE `{table}`").one()[1]
            for table in {*(t for t, _ in JSON_TEXT_COLUMNS), "integration_dead_letters"}
        }
    engine.dispose()
    for table, column in JSON_TEXT_COLUMNS:
        assert f"json_valid(`{column}`)" not in created[table], table
        assert Base.metadata.tables[table].c[column].type.__class__.__name__ == "JsonText"
    assert "json_valid(`raw_payload`)" in created["integration_dead_letters"]
    assert "json_valid(`dimensions`)" in created["metric_facts"]


def test_a_json_text_column_reads_back_what_was_written(db_url: str) -> None:
    """Written as a document, read back as the same document, on both databases."""
    document = {"id": "QR-1", "nested": {"list": [1, 2.5, None, "Zoë \\ \t"]}, "flag": True}
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            external_objects.insert().values(
                provider_key="p",
                object_type="quote_request",
                external_id="QR-1",
                payload_hash="0" * 32,
                first_seen_at=sa.func.current_timestamp(),
                last_seen_at=sa.func.current_timestamp(),
                raw_payload=document,
                last_batch_id=1,
            )
        )
        stored = conn.execute(sa.select(external_objects.c.raw_payload)).scalar_one()
    engine.dispose()
    assert stored == document
