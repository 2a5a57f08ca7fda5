"""Scenario: quote-request exports run through the one ingestion path on SQLite and MySQL.

Every input row ends as exactly one of created, updated, failed, duplicate or ignored; the
counters add up and match the import rows; a re-run changes nothing; a later export updates
only what changed; failed rows are dead-lettered with the reason and their source context; a
crash mid-batch leaves a consistent database that the next run completes.
"""

import gc
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.mapping.errors import SchemaLevelError
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.pipeline.run import (
    extract_files,
    ingest_rows,
    landed_rows,
    open_direct_batch,
    process_extract,
)
from zartsalgo_pipelines.pipeline.tuning import (
    GC_EVERY_CHUNKS,
    WRITER_SWITCH_INTERVAL,
    prompt_writer_handoff,
    young_generation_gc,
)
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.lookups import stored_hashes
from zartsalgo_pipelines.storage.queries import import_row_counts
from zartsalgo_pipelines.tables import DataImportRow
from zartsalgo_pipelines_tests.helpers import DROP, count, quote, snapshot

RECORD_TABLES = {
    "quote_requests": "external_id, status, contact_email, budget_amount, updated_at",
    "integration_external_objects": "external_id, payload_hash, first_seen_at, last_seen_at",
    "integration_object_links": "external_object_id, record_id, match_method, linked_at",
}


def sync(engine: sa.Engine, spec: ProviderSpec, folder: Path):  # type: ignore[no-untyped-def]
    extract = extract_files(engine, spec, folder)
    return process_extract(engine, spec, extract.batch_id)


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    return make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"}, chunk_size=4)


MIXED_EXPORT = [
    quote(1),
    quote(2),
    quote(3, contact__email="not-an-email"),
    quote(1),  # exact duplicate of row 1
    quote(2, status="won", updated_at="2026-11-18T09:00:00Z"),  # later update of id 2
    quote(4, is_test=True),  # ignored by the spec's rule
    quote(5, id=DROP),
    quote(6, submitted_at="31/02/2026 25:61"),
    quote(7, budget__amount=-5),
    quote(8, status="archived_by_crm"),
    "{this line is not json",
    quote(9, contact__email=DROP),  # optional field missing: still valid
]


def test_every_row_is_accounted_once(engine, spec, write_export) -> None:
    review = sync(engine, spec, write_export(MIXED_EXPORT))
    assert (review.rows_created, review.rows_updated, review.rows_duplicate) == (3, 1, 1)
    assert (review.rows_failed, review.rows_ignored, review.rows_total) == (6, 1, 12)
    assert review.adds_up and review.status == "succeeded"
    with engine.connect() as conn:
        assert import_row_counts(conn, review.batch_id) == {
            "created": 3,
            "updated": 1,
            "duplicate": 1,
            "failed": 6,
            "ignored": 1,
        }
    assert count(engine, "quote_requests") == 3
    assert count(engine, "integration_object_links") == 3
    with engine.connect() as conn:
        status = conn.execute(
            sa.text("SELECT status FROM quote_requests WHERE external_id = 'QR-00002'")
        ).scalar_one()
    assert status == "won"  # the later version within the batch is the one stored


def test_rerun_of_same_export_changes_nothing(engine, spec, write_export) -> None:
    folder = write_export(MIXED_EXPORT)
    first = sync(engine, spec, folder)
    before = {table: snapshot(engine, table, cols) for table, cols in RECORD_TABLES.items()}
    second = sync(engine, spec, folder)
    assert second.batch_id != first.batch_id
    assert (second.rows_created, second.rows_updated) == (0, 0)
    assert second.rows_duplicate == first.rows_created + first.rows_updated + first.rows_duplicate
    assert (second.rows_failed, second.rows_ignored) == (first.rows_failed, first.rows_ignored)
    assert {t: snapshot(engine, t, c) for t, c in RECORD_TABLES.items()} == before


def test_later_export_updates_only_changed_records(engine, spec, write_export, tmp_path) -> None:
    sync(engine, spec, write_export([quote(1), quote(2), quote(3)], "day1.jsonl"))
    untouched = snapshot(engine, "quote_requests", "external_id, updated_at, last_batch_id")
    (tmp_path / "exports" / "day1.jsonl").unlink()
    changed = quote(2, status="quoted", updated_at="2026-11-20T08:00:00Z")
    review = sync(engine, spec, write_export([quote(1), changed, quote(3)], "day2.jsonl"))
    assert (review.rows_updated, review.rows_duplicate, review.rows_created) == (1, 2, 0)
    after = snapshot(engine, "quote_requests", "external_id, updated_at, last_batch_id")
    assert [row for row in after if row[0] != "QR-00002"] == [
        row for row in untouched if row[0] != "QR-00002"
    ]
    assert count(engine, "quote_requests", "WHERE status = 'quoted'") == 1


FAILURES = [
    ("missing id", quote(5, id=DROP), "external_id", "required"),
    ("bad email", quote(3, contact__email="not-an-email"), "contact_email", "email format"),
    ("bad date", quote(6, submitted_at="31/02/2026 25:61"), "submitted_at", "not a valid datetime"),
    ("negative budget", quote(7, budget__amount=-5), "budget_amount", "at least 0"),
    ("unknown status", quote(8, status="archived_by_crm"), "status", "one of"),
    ("not json", "{oops", "record", "parseable record"),
]


@pytest.mark.parametrize(
    ("case", "record", "field", "check"), FAILURES, ids=[f[0] for f in FAILURES]
)
def test_failed_row_is_dead_lettered_with_reason_and_context(
    engine, spec, write_export, case, record, field, check
) -> None:
    review = sync(engine, spec, write_export([quote(1), record], "drop.jsonl"))
    assert review.rows_failed == 1
    with engine.connect() as conn:
        letter = conn.execute(
            sa.text(
                "SELECT reason, failing_field, failing_check, source_ref, source_position, "
                "raw_payload, state, attempts FROM integration_dead_letters"
            )
        ).one()
        row_reason = conn.execute(
            sa.text("SELECT reason FROM data_import_rows WHERE status = 'failed'")
        ).scalar_one()
    assert letter.failing_field == field
    assert letter.failing_check.startswith(check)
    assert field in letter.reason and row_reason == letter.reason
    assert (letter.source_ref, letter.source_position) == ("drop.jsonl", 2)
    assert letter.state == "open" and letter.attempts == 1
    kept = (
        letter.raw_payload
        if isinstance(letter.raw_payload, dict)
        else json.loads(letter.raw_payload)
    )
    # the whole row is kept for replay: the record itself, or the text of a line that did not parse
    assert kept == (record if isinstance(record, dict) else {"unparsed_text": record})


def test_dead_letter_is_not_duplicated_by_a_rerun(engine, spec, write_export) -> None:
    folder = write_export([quote(3, contact__email="bad")])
    sync(engine, spec, folder)
    sync(engine, spec, folder)
    assert count(engine, "integration_dead_letters") == 1
    assert count(engine, "integration_dead_letters", "WHERE attempts = 2") == 1


def _reasons(engine: sa.Engine, batch_id: int) -> list[tuple[object, ...]]:
    rows = DataImportRow.__table__
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(rows.c.source_position, rows.c.status, rows.c.reason)
                .where(rows.c.batch_id == batch_id)
                .order_by(rows.c.row_number)
            )
        ]


def test_a_rerun_fails_known_failures_exactly_as_the_first_run_did(
    engine, spec, write_export
) -> None:
    folder = write_export(MIXED_EXPORT)
    extract = extract_files(engine, spec, folder)
    first_stats = FailureStats()
    first = ingest_rows(
        engine, spec, extract.batch_id, landed_rows(spec, extract.landing), stats=first_stats
    )
    extract = extract_files(engine, spec, folder)
    again_stats = FailureStats()
    again = ingest_rows(
        engine, spec, extract.batch_id, landed_rows(spec, extract.landing), stats=again_stats
    )
    # Same reasons on every failed row, same per-field counts, checks and masked examples.
    failed_first = [r for r in _reasons(engine, first.batch_id) if r[1] == "failed"]
    failed_again = [r for r in _reasons(engine, again.batch_id) if r[1] == "failed"]
    assert failed_again == failed_first and len(failed_first) == 6
    assert again_stats == first_stats
    assert count(engine, "integration_dead_letters", "WHERE attempts = 2") == 6
    with engine.connect() as conn:
        seen = conn.execute(
            sa.text(
                "SELECT first_batch_id, last_batch_id, source_ref, source_position "
                "FROM integration_dead_letters ORDER BY source_position"
            )
        ).all()
    assert {(r[0], r[1]) for r in seen} == {(first.batch_id, again.batch_id)}
    assert [r[3] for r in seen] == [r[0] for r in failed_first]  # where it was last seen


def test_a_spec_change_validates_known_failures_again(engine, spec, write_export) -> None:
    folder = write_export([quote(3, contact__email="not-an-email"), quote(8, status="archived")])
    assert sync(engine, spec, folder).rows_failed == 2
    relaxed = spec.model_copy(
        update={
            "fields": [
                e.model_copy(update={"format": None}) if e.target == "contact_email" else e
                for e in spec.fields
            ]
        }
    )
    review = sync(engine, relaxed, folder)
    assert (review.rows_created, review.rows_failed) == (1, 1)  # the email now passes
    assert count(engine, "quote_requests", "WHERE contact_email = 'not-an-email'") == 1


def test_missing_required_column_fails_the_batch_not_every_row(engine, spec, write_export) -> None:
    folder = write_export([quote(n, id=DROP) for n in range(1, 6)])
    with pytest.raises(
        SchemaLevelError, match=r"required field `external_id`.*missing from every row"
    ):
        sync(engine, spec, folder)
    assert count(engine, "integration_dead_letters") == 0
    assert count(engine, "data_import_batches", "WHERE status = 'failed'") == 1


def _crashing(rows: Iterator[SourceRow], after: int) -> Iterator[SourceRow]:
    for number, row in enumerate(rows, start=1):
        if number > after:
            raise OSError("export share went away mid-read")
        yield row


def test_crash_mid_batch_leaves_consistent_state_and_next_run_completes(
    engine, spec, write_export
) -> None:
    records = [quote(n) for n in range(1, 11)]
    folder = write_export(records)
    extract = extract_files(engine, spec, folder)
    with pytest.raises(OSError, match="went away"):
        ingest_rows(
            engine, spec, extract.batch_id, _crashing(landed_rows(spec, extract.landing), 6)
        )
    with engine.connect() as conn:
        crashed = conn.execute(
            sa.text("SELECT status, rows_total, rows_created, error FROM data_import_batches")
        ).one()
        orphans = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM quote_requests q WHERE NOT EXISTS (SELECT 1 FROM "
                "data_import_rows r WHERE r.external_id = q.external_id AND r.status = 'created')"
            )
        ).scalar_one()
    assert crashed.status == "failed" and "went away" in crashed.error
    # chunk_size is 4: two whole chunks committed, the third never started
    assert (crashed.rows_total, crashed.rows_created) == (4, 4)
    assert count(engine, "data_import_rows") == 4 and orphans == 0
    review = sync(engine, spec, folder)
    assert (review.rows_duplicate, review.rows_created) == (4, 6)
    assert count(engine, "quote_requests") == 10


def test_field_map_is_mirrored_with_its_version(engine, spec, write_export, make_spec) -> None:
    sync(engine, spec, write_export([quote(1)]))
    relabelled = make_spec(
        source=spec.source.model_dump(),
        chunk_size=4,
        fields=[
            e.model_dump(exclude_none=True)
            | ({"label": "Mail"} if e.target == "contact_email" else {})
            for e in spec.fields
        ],
    )
    sync(engine, relabelled, write_export([quote(1)]))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT spec_version, active, portal_label FROM integration_field_mappings "
                "WHERE target_field = 'contact_email' ORDER BY id"
            )
        ).all()
    assert [(r.spec_version, bool(r.active), r.portal_label) for r in rows] == [
        (spec.version, False, "Email"),
        (relabelled.version, True, "Mail"),
    ]
    assert count(engine, "integration_field_mappings", "WHERE active = 1") == len(spec.fields)


def test_manual_batch_goes_through_the_same_path(engine, spec) -> None:
    batch = open_direct_batch(engine, spec, "manual", "entered by ana@zartsalgo.example")
    rows = [SourceRow("manual entry", 1, quote(1)), SourceRow("manual entry", 2, quote(2, id=DROP))]
    review = ingest_rows(engine, spec, batch, rows)
    assert (review.source_kind, review.rows_created, review.rows_failed) == ("manual", 1, 1)


TRICKY = [
    'He said "hi", then left',
    "line one\nline two",
    "back\\slash \\N",
    "NULL",
    "a,b,,c",
    "tab\there",
    "Zoë ❄️ 北京",
    "'single' quotes; DROP TABLE x",
]


def test_bulk_chunks_store_every_value_exactly(engine, make_spec, write_export) -> None:
    """Chunks big enough for MySQL's LOAD DATA path keep quotes, commas, newlines, backslashes
    and the text NULL exactly, in records and in the raw payload."""
    spec = make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"}, chunk_size=1000)
    records = [quote(n, message=TRICKY[n % len(TRICKY)], contact__name=None) for n in range(1, 601)]
    review = sync(engine, spec, write_export(records))
    assert (review.rows_created, review.rows_total) == (600, 600)
    with engine.connect() as conn:
        stored = dict(
            conn.execute(sa.text("SELECT external_id, message FROM quote_requests")).all()
        )
        names = conn.execute(
            sa.text("SELECT COUNT(*) FROM quote_requests WHERE contact_name IS NULL")
        )
        payloads = conn.execute(
            sa.text("SELECT external_id, raw_payload FROM integration_external_objects")
        ).all()
    assert stored == {r["id"]: r["message"] for r in records}
    assert names.scalar_one() == 600  # JSON null is SQL NULL, not the text "NULL"
    by_id = {r["id"]: r for r in records}
    assert all((p if isinstance(p, dict) else json.loads(p)) == by_id[i] for i, p in payloads)
    assert count(engine, "integration_object_links") == 600
    rerun = sync(engine, spec, write_export(records))
    assert (rerun.rows_duplicate, rerun.rows_created, rerun.rows_updated) == (600, 0, 0)


def test_database_error_in_a_chunk_rolls_that_chunk_back(engine, spec) -> None:
    """A chunk whose write fails in the database (here: an import row that already exists)
    leaves nothing of itself behind; chunks before it stay, and the batch is marked failed."""
    batch = open_direct_batch(engine, spec, "manual", "conflict test")
    with engine.begin() as conn:
        conn.execute(
            sa.insert(DataImportRow).values(
                batch_id=batch,
                row_number=6,
                status="ignored",
                payload_hash="x",
                source_ref="planted",
                source_position=6,
            )
        )
    rows = [SourceRow("manual entry", n, quote(n)) for n in range(1, 13)]
    with pytest.raises(sa.exc.IntegrityError):
        ingest_rows(engine, spec, batch, rows)  # chunk_size 4: rows 5-8 hit the planted row
    with engine.connect() as conn:
        status, total = conn.execute(
            sa.text("SELECT status, rows_total FROM data_import_batches WHERE id = :b"),
            {"b": batch},
        ).one()
        stored = set(conn.execute(sa.text("SELECT external_id FROM quote_requests")).scalars())
    assert (status, total) == ("failed", 4)
    assert stored == {f"QR-{n:05d}" for n in range(1, 5)}
    assert count(engine, "integration_object_versions") == 4
    assert count(engine, "data_import_rows", "WHERE source_ref = 'manual entry'") == 4


def test_stored_hashes_survive_a_truncated_group_concat(engine, spec) -> None:
    """The hashes come back as one GROUP_CONCAT value; when the server truncates it
    (group_concat_max_len), the count gives it away and they are read row by row."""
    rows = [SourceRow("x.jsonl", n, quote(n)) for n in range(1, 11)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "x.jsonl"), rows)
    ids = [f"QR-{n:05d}" for n in range(1, 11)]
    with engine.connect() as conn:
        expected = set(
            conn.execute(sa.text("SELECT payload_hash FROM integration_object_versions")).scalars()
        )
        if engine.dialect.name == "mysql":
            conn.execute(sa.text("SET SESSION group_concat_max_len = 64"))  # two hashes fit
        assert stored_hashes(conn, spec, ids) == expected
    assert len(expected) == 10


def test_import_rows_of_a_large_chunk_keep_every_character(
    engine, make_spec: Callable[..., ProviderSpec], write_export
) -> None:
    # Above the bulk threshold, so MySQL takes the LOAD DATA path for import rows.
    spec = make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"})
    odd_ids = ["QR\t1", "QR\\2", "QR\\N", "QR-ü-❄️"]
    records = [quote(n) for n in range(1, 260)] + [
        quote(9000 + n, id=i) for n, i in enumerate(odd_ids)
    ]
    records.append(quote(9999, contact__email="tab\there\nnewline"))
    folder = write_export(records, "odd\tname.jsonl")
    review = sync(engine, spec, folder)
    assert review.rows_total == 264 and review.rows_created == 263 and review.rows_failed == 1
    rows = DataImportRow.__table__
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(rows.c.external_id, rows.c.reason, rows.c.source_ref, rows.c.source_position)
            .where(rows.c.batch_id == review.batch_id)
            .order_by(rows.c.row_number)
        ).all()
    assert [r[0] for r in stored[-5:-1]] == odd_ids
    assert {r[2] for r in stored} == {"odd\tname.jsonl"}
    assert [r[3] for r in stored] == list(range(1, 265))
    assert stored[-1][1] == "contact_email (Email): email format; got 'tab\\there\\nnewline'"
    assert [r[1] for r in stored[:-1]] == [None] * 263


def test_bulk_and_row_paths_store_the_same_values(
    engine, make_spec: Callable[..., ProviderSpec], tmp_path: Path
) -> None:
    """One export through chunks above the bulk threshold (MySQL: file lines built column by
    column) and through small chunks (statements with bound values) stores the same value in
    every column of records and external objects: datetimes with and without fractions,
    decimals, NULLs, source context and escapes."""
    records = [
        quote(
            n,
            message=TRICKY[n % len(TRICKY)],
            submitted_at=f"2026-11-16T10:00:{n % 60:02d}.{n * 3331 % 1000000:06d}Z",
            updated_at=None if n % 5 == 0 else "2026-11-17T08:30:00+02:00",
            budget__amount=None if n % 7 == 0 else n * 10.25,
            contact__phone=None,
            extra={"note": TRICKY[n % len(TRICKY)]} if n % 3 == 0 else None,
        )
        for n in range(1, 301)
    ]
    stored = {}
    for key, chunk_size in (("bulk_path", 1000), ("row_path", 50)):
        folder = tmp_path / key
        folder.mkdir()
        (folder / "export.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        spec = make_spec(
            key=key,
            source={"kind": "file", "path": "*.jsonl", "format": "jsonl"},
            chunk_size=chunk_size,
        )
        assert sync(engine, spec, folder).rows_created == 300
        with engine.connect() as conn:
            stored[key] = [
                conn.execute(
                    sa.text(
                        f"SELECT * FROM {table} WHERE provider_key = :key ORDER BY external_id"
                    ),
                    {"key": key},
                )
                .mappings()
                .all()
                for table in ("quote_requests", "integration_external_objects")
            ]
    varying = {"id", "provider_key", "last_batch_id", "created_at", "updated_at"}
    varying |= {"first_seen_at", "last_seen_at"}
    for bulk, rows in zip(stored["bulk_path"], stored["row_path"], strict=True):
        assert len(bulk) == len(rows) == 300
        for left, right in zip(bulk, rows, strict=True):
            assert {k: v for k, v in left.items() if k not in varying} == {
                k: v for k, v in right.items() if k not in varying
            }


def test_lookups_keep_one_statement_text_whatever_the_chunk(engine, spec) -> None:
    """Chunk lookups bind their ids as one JSON array: an IN list of bound values made a new
    statement for every chunk length, and SQLite's statement cache kept each one, so memory
    grew with the export."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "integration_object_versions" in statement and statement.lstrip().startswith("SELECT"):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        # chunk_size 4: chunks of 4, 4 and 3 rows; the last reuses ids of the first
        rows = [SourceRow("x.jsonl", n, quote(n % 8 + 1)) for n in range(1, 12)]
        ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "x.jsonl"), rows)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 5  # stored hashes per chunk, existing ids where a row is not a duplicate
    assert len(set(seen)) == 2


def test_many_dead_letters_in_one_chunk_are_stored_and_updated_whole(
    engine, make_spec: Callable[..., ProviderSpec], write_export
) -> None:
    """Enough failures in one chunk for MySQL's staged path: every dead letter keeps its
    payload, reason and failures; validating them again (a replay) raises attempts on each."""
    spec = make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"}, chunk_size=500)
    bad = [quote(n, contact__email=f"bad\t{TRICKY[n % len(TRICKY)]}") for n in range(1, 121)]
    folder = write_export([*bad, quote(999)])
    assert sync(engine, spec, folder).rows_failed == 120
    extract = extract_files(engine, spec, folder)
    rows = landed_rows(spec, extract.landing)
    again = ingest_rows(engine, spec, extract.batch_id, rows, revalidate_failures=True)
    assert (again.rows_failed, again.rows_duplicate) == (120, 1)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT external_id, raw_payload, reason, failures, attempts, source_position "
                "FROM integration_dead_letters ORDER BY source_position"
            )
        ).all()
    assert len(stored) == 120
    for record, (external_id, payload, reason, failures, attempts, position) in zip(
        bad, stored, strict=True
    ):
        assert external_id == record["id"] and attempts == 2
        assert (payload if isinstance(payload, dict) else json.loads(payload)) == record
        email = record["contact"]["email"]
        assert reason == f"contact_email (Email): email format; got {email!r}"
        loaded = failures if isinstance(failures, list) else json.loads(failures)
        assert loaded == [["contact_email", "email format", email]]
        assert position == int(record["id"][3:])


def test_a_batch_pauses_automatic_gc_and_collects_young_objects_every_few_chunks() -> None:
    passes: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        with young_generation_gc() as after_chunk:
            assert not gc.isenabled()
            for _ in range(GC_EVERY_CHUNKS - 1):
                after_chunk()
                young = [[] for _ in range(2_000)]  # past the automatic threshold (700)
            assert passes == [] and len(young) == 2_000
            after_chunk()
            assert passes == [1]
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(seen)


@pytest.mark.parametrize("source_fails", [False, True], ids=["batch_succeeds", "source_fails"])
def test_a_batch_shortens_the_switch_interval_and_restores_it(
    engine, spec, source_fails: bool
) -> None:
    """The writer thread gets the GIL back promptly while a batch runs; afterwards, whether the
    batch succeeded or its source failed, the process has its own interval again."""
    during: list[float] = []

    def rows() -> Iterator[SourceRow]:
        for n in range(1, 6):
            during.append(sys.getswitchinterval())
            yield SourceRow("x.jsonl", n, quote(n))
        if source_fails:
            raise OSError("the export went away")

    before = sys.getswitchinterval()
    assert before > WRITER_SWITCH_INTERVAL  # CPython's default is 5 ms
    batch = open_direct_batch(engine, spec, "file", "x.jsonl")
    if source_fails:
        with pytest.raises(OSError):
            ingest_rows(engine, spec, batch, rows())
    else:
        assert ingest_rows(engine, spec, batch, rows()).rows_created == 5
    assert during == [pytest.approx(WRITER_SWITCH_INTERVAL)] * 5
    assert sys.getswitchinterval() == before


def test_overlapping_batches_restore_the_interval_only_when_the_last_one_ends() -> None:
    before = sys.getswitchinterval()
    first, second = prompt_writer_handoff(), prompt_writer_handoff()
    first.__enter__()
    second.__enter__()
    try:
        first.__exit__(None, None, None)  # the first batch ends while the second still runs
        while_second_runs = sys.getswitchinterval()
    finally:
        second.__exit__(None, None, None)
    assert while_second_runs == pytest.approx(WRITER_SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before
