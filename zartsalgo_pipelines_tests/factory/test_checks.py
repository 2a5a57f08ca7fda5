"""Scenario: a provider's group is materialized with dg.materialize on a real (temporary,
SQLite-backed) Dagster instance, on SQLite and MySQL. A field's check passes while its failed
share is at or below the warning share (the failed count is in the metadata), fails with WARN
up to the tolerance and with ERROR above it. Above the tolerance `mapped_records` and
`dead_letter` still materialize (rows and dead letters stored) and only `client_metrics` is
skipped, by the blocking gate on `dead_letter`. A declared `min_rows` judges a three-row batch
with one bad row leniently, so it does not block the provider; a batch that fails throughout
still does. Unparseable rows have a check of their own. The asset kinds name the database in use.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.factory.checks import GATE, PARSEABLE
from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.helpers import count, quote

SOURCE = {"kind": "file", "path": "*.jsonl", "format": "jsonl"}
EMAIL = "contact_email_field_map"


def run(
    spec: ProviderSpec,
    folder: Path,
    db_url: str,
    instance: dg.DagsterInstance,
    only: list[str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize the provider's group, or ``only`` these of its assets (as `dagster asset
    materialize --select` does)."""
    definitions = build_provider_defs(spec, folder)
    assets = [a for a in definitions.assets or [] if isinstance(a, dg.AssetsDefinition)]
    return dg.materialize(
        assets,
        resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        instance=instance,
        raise_on_error=False,
        selection=[dg.AssetKey([spec.key, name]) for name in only] if only else None,
    )


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}


def not_started(result: dg.ExecuteInProcessResult) -> set[str]:
    """Asset steps that never started (Dagster skips the step of a failed dependency)."""
    started = {e.step_key for e in result.all_events if e.is_step_start}
    return {name for name in ALL if f"quote_request__{name}" not in started}


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def export(total: int, bad: int) -> list[dict[str, Any]]:
    return [
        quote(n, contact__email="broken" if n <= bad else f"z{n}@example.org")
        for n in range(1, total + 1)
    ]


ALL = {"raw_extract", "mapped_records", "dead_letter", "client_metrics"}
BLOCKED = ALL - {"client_metrics"}

# (rows, bad rows, spec overrides, passed, severity, gate passed)
CASES = [
    pytest.param(100, 2, {}, True, None, True, id="2%-within-warning-passes"),
    pytest.param(100, 4, {}, False, dg.AssetCheckSeverity.WARN, True, id="4%-warns"),
    pytest.param(100, 6, {}, False, dg.AssetCheckSeverity.ERROR, False, id="6%-errors"),
    pytest.param(
        100, 4, {"warning_failure_share": 0.04}, True, None, True, id="declared-warning-share"
    ),
    pytest.param(3, 1, {"min_rows": 20}, False, dg.AssetCheckSeverity.WARN, True, id="min_rows"),
    pytest.param(3, 1, {"min_rows": 1}, False, dg.AssetCheckSeverity.ERROR, False, id="min_rows-1"),
    pytest.param(19, 19, {"min_rows": 20}, False, dg.AssetCheckSeverity.ERROR, False, id="all-bad"),
]


@pytest.mark.parametrize(("rows", "bad", "overrides", "passed", "severity", "gate"), CASES)
def test_field_checks_pass_warn_or_error_and_only_an_error_blocks_client_metrics(
    db_url: str,
    engine: sa.Engine,
    instance: dg.DagsterInstance,
    make_spec: Callable[..., ProviderSpec],
    write_export: Callable[..., Path],
    rows: int,
    bad: int,
    overrides: dict[str, Any],
    passed: bool,
    severity: dg.AssetCheckSeverity | None,
    gate: bool,
) -> None:
    spec = make_spec(source=SOURCE, tolerated_failure_share=0.05, **overrides)
    result = run(spec, write_export(export(rows, bad)), db_url, instance)
    checks = evaluations(result)
    email = checks[EMAIL]
    assert email.passed is passed
    assert email.metadata["failed_rows"].value == bad
    assert email.metadata["checked_rows"].value == rows
    if severity is not None:
        assert email.severity == severity
    assert checks["external_id_field_map"].passed and checks[PARSEABLE].passed
    assert checks[GATE].passed is gate and checks[GATE].severity == dg.AssetCheckSeverity.ERROR
    assert checks["rows_accounted"].passed and checks["every_failure_dead_lettered"].passed
    # The rows and their dead letters are stored either way; only the metrics wait.
    assert count(engine, "data_import_rows") == rows
    assert count(engine, "integration_dead_letters") == bad
    if gate:
        assert result.success and materialized(result) == ALL and not not_started(result)
        assert count(engine, "client_metrics") > 0
    else:
        assert not result.success
        assert materialized(result) == BLOCKED
        assert not_started(result) == {"client_metrics"}
        assert count(engine, "client_metrics") == 0
        assert checks[GATE].metadata["checks"].value == [EMAIL]


def test_a_later_run_within_tolerance_lifts_the_block(
    db_url: str,
    engine: sa.Engine,
    instance: dg.DagsterInstance,
    make_spec: Callable[..., ProviderSpec],
    write_export: Callable[..., Path],
    tmp_path: Path,
) -> None:
    spec = make_spec(source=SOURCE)
    assert not run(spec, write_export(export(20, 10), "a.jsonl"), db_url, instance).success
    (tmp_path / "exports" / "a.jsonl").unlink()
    result = run(spec, write_export(export(40, 0)[20:], "b.jsonl"), db_url, instance)
    assert result.success and materialized(result) == ALL
    assert evaluations(result)[GATE].passed


def test_client_metrics_alone_waits_while_the_last_mapping_is_above_tolerance(
    db_url: str,
    engine: sa.Engine,
    instance: dg.DagsterInstance,
    make_spec: Callable[..., ProviderSpec],
    write_export: Callable[..., Path],
    tmp_path: Path,
) -> None:
    """Materialized alone (`dagster asset materialize --select quote_request/client_metrics`),
    client_metrics has no upstream step whose blocking check could hold it: it wrote metric
    rows for a provider whose last batch failed 40 of 80 rows. It now judges the gate itself,
    by the latest mapping run, whichever run materialized it."""
    spec = make_spec(source=SOURCE)
    folder = write_export(export(80, 40), "a.jsonl")
    assert not run(spec, folder, db_url, instance).success
    alone = run(spec, folder, db_url, instance, only=["client_metrics"])
    assert not alone.success and not materialized(alone)
    (failure,) = [e for e in alone.all_events if e.is_step_failure]
    assert GATE in str(failure.step_failure_data.error) and EMAIL in str(
        failure.step_failure_data.error
    )
    assert count(engine, "client_metrics") == 0
    # A later mapping within the tolerance (without dead_letter's gate) opens it again.
    (tmp_path / "exports" / "a.jsonl").unlink()
    folder = write_export(export(120, 0)[80:], "b.jsonl")
    assert run(spec, folder, db_url, instance, only=["raw_extract", "mapped_records"]).success
    alone = run(spec, folder, db_url, instance, only=["client_metrics"])
    assert alone.success and materialized(alone) == {"client_metrics"}
    assert count(engine, "client_metrics") > 0


def test_unparseable_rows_have_their_own_check_and_block_above_tolerance(
    db_url: str,
    instance: dg.DagsterInstance,
    make_spec: Callable[..., ProviderSpec],
    write_export: Callable[..., Path],
) -> None:
    rows: list[Any] = [quote(n) for n in range(1, 9)] + ["{not json", "[1, 2]"]
    result = run(make_spec(source=SOURCE), write_export(rows), db_url, instance)
    parseable = evaluations(result)[PARSEABLE]
    assert parseable.passed is False and parseable.severity == dg.AssetCheckSeverity.ERROR
    assert parseable.metadata["failed_rows"].value == 2
    assert materialized(result) == BLOCKED


def test_asset_kinds_name_the_database_in_use(
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    make_spec: Callable[..., ProviderSpec],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("ZARTSALGO_DATABASE_URL", db_url)
    expected = sa.engine.make_url(db_url).get_backend_name()
    other = {"sqlite": "mysql", "mysql": "sqlite"}[expected]
    definitions = build_provider_defs(make_spec(source=SOURCE), tmp_path)
    kinds = {
        key.path[-1]: set(spec.kinds)
        for a in definitions.assets or []
        if isinstance(a, dg.AssetsDefinition)
        for key, spec in a.specs_by_key.items()
    }
    for name in ("mapped_records", "dead_letter", "client_metrics"):
        assert expected in kinds[name] and other not in kinds[name], (name, kinds[name])


def test_the_demo_export_passes_every_check_with_its_failures_counted(
    db_url: str,
    instance: dg.DagsterInstance,
    make_spec: Callable[..., ProviderSpec],
    demo_folder: Callable[..., Path],
) -> None:
    # The demo has a few bad rows per field (within the 5 % tolerance over the whole batch).
    result = run(make_spec(), demo_folder(), db_url, instance)
    checks = evaluations(result)
    assert result.success and materialized(result) == ALL
    assert all(c.passed for c in checks.values()), [n for n, c in checks.items() if not c.passed]
    assert sum(c.metadata["failed_rows"].value for n, c in checks.items() if "field_map" in n) > 0
