"""Scenario: `alembic upgrade head` builds the schema on an empty SQLite and MySQL database,
and the SQLAlchemy models and the migrations describe the same schema."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.tables import Base

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
