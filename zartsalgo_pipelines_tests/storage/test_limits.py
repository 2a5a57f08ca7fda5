"""Scenario: the column limits are read off the models once, and MySQL refuses rather than
changes a value: sessions are strict, a LOAD DATA that warns rolls back, provider ids and
webhook delivery ids compare byte for byte, and the migrated columns are the models' columns."""

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import given
from hypothesis import strategies as st

from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.engine import (
    STRICT_MODES,
    PacketTooSmallError,
    check_packet,
    create_engine,
)
from zartsalgo_pipelines.storage.migrate import alembic_config, upgrade_head
from zartsalgo_pipelines.storage.upsert import insert_many
from zartsalgo_pipelines.tables import (
    CrmDeal,
    IntegrationDeadLetter,
    QuoteRequest,
    table_of,
)
from zartsalgo_pipelines.tables.limits import (
    REQUIRED_PACKET_BYTES,
    ROW_PAYLOAD_MAX_BYTES,
    ColumnLimit,
    column_limit,
    table_limits,
)

quotes = table_of(QuoteRequest)


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        (quotes.c.contact_name, ColumnLimit(max_chars=200)),
        (quotes.c.external_id, ColumnLimit(max_chars=191)),
        (quotes.c.message, ColumnLimit(max_bytes=16_777_215)),  # MEDIUMTEXT on MySQL
        (table_of(IntegrationDeadLetter).c.reason, ColumnLimit(max_bytes=65_535)),
        (quotes.c.budget_amount, ColumnLimit(whole_digits=12, scale=2)),
        (table_of(CrmDeal).c.amount, ColumnLimit(whole_digits=12, scale=2)),
        (quotes.c.last_batch_id, ColumnLimit(max_abs=2**63 - 1)),
        (quotes.c.submitted_at, ColumnLimit()),
    ],
    ids=lambda v: getattr(v, "name", None) or "",
)
def test_limits_are_read_off_the_models(column: sa.Column[Any], limit: ColumnLimit) -> None:
    assert column_limit(column) == limit


def test_every_record_column_has_a_known_limit_or_none_is_needed() -> None:
    for name, limit in table_limits(quotes).items():
        column_type = quotes.c[name].type
        if isinstance(column_type, sa.String):
            assert limit.max_chars or limit.max_bytes, name


scratch_metadata = sa.MetaData()
scratch = sa.Table(
    "zt_limits_scratch",
    scratch_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text),
    sa.Column("label", sa.String(10)),
    sa.Column("amount", sa.Numeric(14, 2)),
)


@pytest.fixture
def mysql_engine(mysql_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(mysql_url)
    scratch_metadata.drop_all(engine)
    scratch_metadata.create_all(engine)
    yield engine
    scratch_metadata.drop_all(engine)
    engine.dispose()


@pytest.mark.mysql
def test_sessions_are_strict_and_keep_the_server_modes(mysql_engine: sa.Engine) -> None:
    with mysql_engine.connect() as conn:
        session = set(conn.execute(sa.text("SELECT @@SESSION.sql_mode")).scalar_one().split(","))
        server = set(conn.execute(sa.text("SELECT @@GLOBAL.sql_mode")).scalar_one().split(","))
        dive = conn.execute(sa.text("SELECT @@SESSION.eq_range_index_dive_limit")).scalar_one()
    assert set(STRICT_MODES) <= session and server - {""} <= session
    assert int(dive) == 0  # what the session set before stays set


@pytest.mark.mysql
def test_a_server_packet_too_small_for_a_row_is_refused(mysql_engine: sa.Engine) -> None:
    """A payload of ROW_PAYLOAD_MAX_BYTES escapes to at most twice its size in a statement, and
    the rest of a dead letter's row stays within 1 MiB: the required packet holds that. The
    session's max_allowed_packet is read-only, so a smaller server is judged by the check the
    session runs on connect (this server's passes, or nothing here would connect)."""
    assert 2 * ROW_PAYLOAD_MAX_BYTES + 1024 * 1024 <= REQUIRED_PACKET_BYTES
    with mysql_engine.connect() as conn:
        packet = conn.execute(sa.text("SELECT @@max_allowed_packet")).scalar_one()
    assert int(packet) >= REQUIRED_PACKET_BYTES
    check_packet(REQUIRED_PACKET_BYTES)
    with pytest.raises(PacketTooSmallError, match="max_allowed_packet is 4194304 bytes"):
        check_packet(4 * 1024 * 1024)


def _row(n: int, **changes: Any) -> dict[str, Any]:
    return {"id": n, "text": "t", "label": "l", "amount": Decimal("1.25")} | changes


# Values MySQL's LOAD DATA LOCAL stores changed, with only a warning (or a note).
CHANGED = [
    ("text_cut", {"text": "x" * 70_000}, "1265"),
    ("label_cut", {"label": "x" * 11}, "1265"),
    ("out_of_range", {"amount": Decimal("1e13")}, "1264"),
    ("rounded", {"amount": Decimal("1.005")}, "1265"),
    ("infinite", {"amount": float("inf")}, "1366"),
]


@pytest.mark.mysql
@pytest.mark.parametrize(("case", "change", "code"), CHANGED, ids=[c[0] for c in CHANGED])
def test_a_load_that_would_change_a_value_raises_and_rolls_back(
    mysql_engine: sa.Engine, case: str, change: dict[str, Any], code: str
) -> None:
    rows = [_row(n) for n in range(mysql_bulk.BULK_MIN_ROWS)]
    rows[7] = _row(7, **change)
    refused = pytest.raises(mysql_bulk.LoadWarningError, match=rf"zt_limits_scratch .*{code}")
    with refused, mysql_engine.begin() as conn:
        insert_many(conn, scratch, rows)  # above the threshold: LOAD DATA
    with mysql_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(scratch)).scalar_one() == 0


@pytest.mark.mysql
@pytest.mark.parametrize(("case", "change", "code"), CHANGED[:3], ids=[c[0] for c in CHANGED[:3]])
def test_a_statement_that_would_change_a_value_raises(
    mysql_engine: sa.Engine, case: str, change: dict[str, Any], code: str
) -> None:
    with pytest.raises(sa.exc.DBAPIError), mysql_engine.begin() as conn:
        insert_many(conn, scratch, [_row(1, **change)])  # below the threshold: INSERT


@pytest.mark.mysql
def test_a_clean_load_passes_the_warning_check(mysql_engine: sa.Engine) -> None:
    # 8 bytes of UTF-8 a repeat: 64,000 bytes, just within TEXT.
    rows = [_row(n, text="ü❄️" * 8_000) for n in range(mysql_bulk.BULK_MIN_ROWS)]
    with mysql_engine.begin() as conn:
        insert_many(conn, scratch, rows)
    with mysql_engine.connect() as conn:
        texts = conn.execute(sa.select(scratch.c.text)).scalars().all()
    assert texts == ["ü❄️" * 8_000] * len(rows)


PROVIDER_IDS = [
    ("integration_external_objects", "external_id"),
    ("integration_object_versions", "external_id"),
    ("data_import_rows", "external_id"),
    ("integration_dead_letters", "external_id"),
    ("quote_requests", "external_id"),
    ("crm_deals", "external_id"),
    ("integration_webhook_deliveries", "delivery_id"),
]


@pytest.mark.mysql
def test_migrated_columns_are_the_models_columns(mysql_url: str) -> None:
    """Binary ids, a MEDIUMTEXT message and microsecond timestamps, as migration 0005 makes
    them (the models declare the same; alembic's comparison does not look at collations)."""
    engine = create_engine(mysql_url)
    with engine.connect() as conn:
        found = {
            (t, c): (kind, collation)
            for t, c, kind, collation in conn.execute(
                sa.text(
                    "SELECT table_name, column_name, column_type, collation_name "
                    "FROM information_schema.columns WHERE table_schema = DATABASE()"
                )
            )
        }
    engine.dispose()
    for key in PROVIDER_IDS:
        assert found[key] == ("varchar(191)", "utf8mb4_bin"), key
    assert found[("quote_requests", "message")][0] == "mediumtext"
    for key in [("quote_requests", "submitted_at"), ("crm_deals", "source_created_at")]:
        assert found[key][0] == "datetime(6)", key


def test_microseconds_of_provider_times_are_kept(engine: sa.Engine) -> None:
    at = dt.datetime(2026, 11, 16, 10, 0, 0, 123456)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(quotes).values(
                provider_key="p",
                external_id="QR-1",
                client_key="c",
                submitted_at=at,
                status="new",
                last_batch_id=1,
                created_at=at,
                updated_at=at,
            )
        )
        assert conn.execute(sa.select(quotes.c.submitted_at)).scalar_one() == at


@pytest.mark.mysql
def test_migration_0005_goes_down_and_up_again(mysql_url: str) -> None:
    """On a database of its own: down to 0004 the ids compare by the default collation again,
    and back up they are binary."""
    server = sa.engine.make_url(mysql_url)
    name = f"zt_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database=None).render_as_string(hide_password=False))
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_head(url)
        config = alembic_config(url)
        command.downgrade(config, "0004")
        assert _collation(url) != "utf8mb4_bin"
        command.upgrade(config, "head")
        assert _collation(url) == "utf8mb4_bin"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name}"))
        admin.dispose()


def _collation(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT collation_name FROM information_schema.columns WHERE table_schema = "
                "DATABASE() AND table_name = 'quote_requests' AND column_name = 'external_id'"
            )
        ).scalar_one()
    engine.dispose()
    return str(found)


@given(text=st.text(max_size=260))
def test_a_typed_name_is_refused_exactly_when_its_column_cannot_hold_it_whole(text: str) -> None:
    # batches.entered_by is VARCHAR(200) (characters), batches.note is TEXT (bytes).
    from zartsalgo_pipelines.errors import TooLongError
    from zartsalgo_pipelines.tables.core import batches
    from zartsalgo_pipelines.tables.limits import refuse_overlong

    try:
        refuse_overlong(batches, {"entered_by": text, "note": text})
    except TooLongError as error:
        assert len(text) > 200
        assert f"entered_by is {len(text)} characters; at most 200 fit" in str(error)
    else:
        assert len(text) <= 200
