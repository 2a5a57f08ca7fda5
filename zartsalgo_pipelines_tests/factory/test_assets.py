"""Scenario: a provider's four assets materialize through Dagster on SQLite and MySQL. The
metadata shows the review counts and batch id, never a payload value or a secret; field-map
checks pass, warn or fail against the spec's tolerance, and a field above it stops
client_metrics only (test_checks.py has the full table).
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.helpers import count, quote

SOURCE = {"kind": "file", "path": "*.jsonl", "format": "jsonl"}


def materialize(spec: ProviderSpec, folder: Path, db_url: str) -> dg.ExecuteInProcessResult:
    definitions = build_provider_defs(spec, folder)
    assets = [a for a in definitions.assets or [] if isinstance(a, dg.AssetsDefinition)]
    return dg.materialize(
        assets,
        resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def metadata_of(result: dg.ExecuteInProcessResult, name: str) -> dict[str, Any]:
    events = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["quote_request", name])
    ]
    assert len(events) == 1, f"{name} materialized {len(events)} times"
    return {k: v.value for k, v in events[0].materialization.metadata.items()}


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_group_materializes_with_review_metadata(
    db_url: str, engine, make_spec: Callable[..., ProviderSpec], write_export
) -> None:
    records = [quote(n) for n in range(1, 30)] + [quote(30, contact__email="zoe-at-home")]
    spec = make_spec(source=SOURCE)
    result = materialize(spec, write_export(records), db_url)
    assert result.success
    mapped = metadata_of(result, "mapped_records")
    assert mapped["rows_total"] == 30 and mapped["rows_created"] == 29
    assert (
        mapped["rows_failed"] == 1
        and mapped["batch_id"] == metadata_of(result, "raw_extract")["batch_id"]
    )
    assert metadata_of(result, "dead_letter")["open_dead_letters"] == 1
    assert mapped["connection_status"] == "connected"
    assert metadata_of(result, "client_metrics")["cards"] == count(engine, "client_metrics")
    checks = check_results(result)
    assert checks["contact_email_field_map"].passed is False
    assert checks["contact_email_field_map"].severity == dg.AssetCheckSeverity.WARN
    assert checks["external_id_field_map"].passed and checks["rows_accounted"].passed
    assert checks["every_failure_dead_lettered"].passed
    # Masked example: shape kept, content hidden; no raw value anywhere in metadata.
    examples = checks["contact_email_field_map"].metadata["masked_examples"].value
    assert examples == ["z**-**-***e"]
    every_value = json.dumps(
        [str(m.materialization.metadata) for m in result.get_asset_materialization_events()]
        + [str(c.metadata) for c in checks.values()]
    )
    for secret_or_payload in ("zoe-at-home", "Zoë", "Bitte um Rückruf", "password"):
        assert secret_or_payload not in every_value


def test_failure_share_above_tolerance_blocks_client_metrics(
    db_url: str, engine, make_spec: Callable[..., ProviderSpec], write_export
) -> None:
    records = [quote(n) for n in range(1, 8)] + [
        quote(n, contact__email="broken") for n in range(8, 11)
    ]
    spec = make_spec(source=SOURCE, tolerated_failure_share=0.1, min_rows=1)
    result = materialize(spec, write_export(records), db_url)
    assert not result.success
    check = check_results(result)["contact_email_field_map"]
    assert check.passed is False and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["failed_share"].value == pytest.approx(0.3)
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == {"raw_extract", "mapped_records", "dead_letter"}
    assert count(engine, "client_metrics") == 0
    # The rows themselves were still accounted and the failures dead-lettered.
    assert count(engine, "integration_dead_letters") == 3


def test_mapped_records_without_an_extract_fails_clearly(
    db_url: str, make_spec: Callable[..., ProviderSpec], write_export
) -> None:
    spec = make_spec(source=SOURCE)
    definitions = build_provider_defs(spec, write_export([quote(1)]))
    mapped = next(
        a
        for a in definitions.assets or []
        if isinstance(a, dg.AssetsDefinition)
        and a.key == dg.AssetKey(["quote_request", "mapped_records"])
    )
    result = dg.materialize(
        [mapped],
        resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert (
        failure is not None
        and "no extracted batch or webhook delivery is waiting" in failure.message
    )


def test_provider_that_is_not_connected_refuses_to_sync(
    db_url: str, engine, make_spec: Callable[..., ProviderSpec], write_export
) -> None:
    spec = make_spec(source=SOURCE, status="paused")
    result = materialize(spec, write_export([quote(1)]), db_url)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and "quote_request is paused" in failure.message
    assert count(engine, "data_import_batches") == 0
