"""Scenario: the REST and webhook intakes through Dagster, on SQLite and MySQL. The crm_deals
group materializes from the fake HubSpot API with HTTP and rate-limit metadata (never the
token); a failed extract is retried by Dagster only when its error is retryable (a provider
that is down, not one that answers what the spec does not expect); the webhook sensor asks for
one run per burst of deliveries and that run maps them."""

import json
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from zartsalgo_pipelines.factory.operations_jobs import provider_connection_check
from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines.pipeline.deliveries import store_delivery
from zartsalgo_pipelines.specs.models import ProviderSpec, RetrySpec
from zartsalgo_pipelines_tests.fake_api import TOKEN, FakeApi, Fault, crm_spec
from zartsalgo_pipelines_tests.helpers import count, quote


def materialize(
    spec: ProviderSpec, db_url: str, selection: list[str] | None = None
) -> dg.ExecuteInProcessResult:
    definitions = build_provider_defs(spec, Path("."))
    assets = [a for a in definitions.assets or [] if isinstance(a, dg.AssetsDefinition)]
    return dg.materialize(
        assets,
        selection=selection,
        resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def metadata(result: dg.ExecuteInProcessResult, key: str, name: str) -> dict[str, object]:
    event = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey([key, name])
    )
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_rest_provider_group_materializes_with_http_metadata(
    db_url: str, engine, api: FakeApi
) -> None:
    api.deals = api.deals[:3] + api.deals[5:6]  # three good deals and an archived one
    api.faults = {2: Fault(429, headers={"Retry-After": "1"})}
    result = materialize(crm_spec(api), db_url)
    assert result.success
    raw = metadata(result, "crm_deals", "raw_extract")
    mapped = metadata(result, "crm_deals", "mapped_records")
    assert raw["pages"] == 2 and raw["records"] == 4 and raw["rate_limit_hits"] == 1
    assert float(str(raw["rate_limit_wait_seconds"])) >= 1
    assert mapped["rows_total"] == 4 and mapped["rows_created"] == 3 and mapped["rows_ignored"] == 1
    assert mapped["batch_id"] == raw["batch_id"]
    everything = json.dumps([str(e) for e in result.all_events])
    assert TOKEN not in everything
    assert count(engine, "crm_deals") == 3


def test_refused_credentials_fail_the_extract_without_retries(
    db_url: str, api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_PRIVATE_APP_TOKEN", "revoked")
    result = materialize(crm_spec(api), db_url)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "refused the credentials (HTTP 401)" in str(failure.event_specific_data)
    assert "revoked" not in str(failure.event_specific_data)
    assert not any(e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)


@pytest.mark.parametrize(
    ("faults", "retried"),
    [
        ({n: Fault(503) for n in range(1, 5)}, True),  # outlasts the HTTP retries: unreachable
        ({1: Fault(200, body=b"<html>down</html>", content_type="text/html")}, False),
    ],
    ids=["unreachable-is-retried", "malformed-is-not"],
)
def test_the_extract_is_retried_only_when_its_error_is_retryable(
    db_url: str, api: FakeApi, faults: dict[int, Fault], retried: bool
) -> None:
    api.faults = faults
    once = RetrySpec(max_retries=1, delay_seconds=0, backoff="linear", jitter="none")
    result = materialize(crm_spec(api).model_copy(update={"retries": once}), db_url)
    events = [e.event_type for e in result.all_events]
    assert (dg.DagsterEventType.STEP_UP_FOR_RETRY in events) is retried
    landed = [e.asset_key for e in result.get_asset_materialization_events()]
    # The retry's requests find the provider back; a refused answer lands nothing.
    assert (dg.AssetKey(["crm_deals", "raw_extract"]) in landed) is retried


def tick(spec: ProviderSpec, db_url: str, cursor: str | None = None) -> dg.SensorResult:
    name = f"{spec.key}_webhook_deliveries"
    sensor = next(s for s in build_provider_defs(spec, Path(".")).sensors or [] if s.name == name)
    assert isinstance(sensor, dg.SensorDefinition)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance,
            cursor=cursor,
            resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        )
        result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_webhook_sensor_requests_one_run_per_burst_and_the_run_maps_them(
    db_url: str, engine, make_spec: Callable[..., ProviderSpec]
) -> None:
    spec = make_spec()
    assert tick(spec, db_url).run_requests == []
    for n in range(1, 4):
        body = json.dumps({"data": quote(n)}).encode()
        store_delivery(engine, spec.key, f"d{n}", body)
    first, second = tick(spec, db_url), tick(spec, db_url)
    assert first.run_requests and second.run_requests
    assert first.run_requests[0].run_key == second.run_requests[0].run_key  # Dagster dedupes

    # What the sensor's job `quote_request_webhook_ingest` runs: everything but the extract.
    run = materialize(
        spec,
        db_url,
        selection=[
            "quote_request/mapped_records",
            "quote_request/dead_letter",
            "quote_request/client_metrics",
        ],
    )
    assert run.success
    mapped = metadata(run, "quote_request", "mapped_records")
    assert mapped["source_kind"] == "webhook" and mapped["rows_created"] == 3
    assert count(engine, "quote_requests") == 3
    assert tick(spec, db_url).run_requests == []


def test_webhook_sensor_waits_while_the_provider_is_paused(
    db_url: str, engine, make_spec: Callable[..., ProviderSpec]
) -> None:
    spec = make_spec(status="paused")
    store_delivery(engine, spec.key, "d1", json.dumps({"data": quote(1)}).encode())
    result = tick(spec, db_url)
    assert not result.run_requests and "paused" in str(result.skip_reason)
    assert count(engine, "integration_webhook_deliveries", "WHERE batch_id IS NULL") == 1


def test_connection_check_job_reports_the_result(db_url: str) -> None:
    result = provider_connection_check.execute_in_process(
        run_config={"ops": {"connection_check_op": {"config": {"provider": "quote_request"}}}},
        resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    assert result.output_for_node("connection_check_op")["result"] == "connected"


def test_full_resync_is_a_launch_config_of_raw_extract(db_url: str, api: FakeApi) -> None:
    spec = crm_spec(api)
    definitions = build_provider_defs(spec, Path("."))
    raw = next(
        a
        for a in definitions.assets or []
        if isinstance(a, dg.AssetsDefinition) and a.key == dg.AssetKey(["crm_deals", "raw_extract"])
    )

    def extract(config: dict[str, object]) -> dict[str, object]:
        result = dg.materialize(
            [raw],
            resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
            instance=dg.DagsterInstance.ephemeral(),
            run_config={"ops": {"crm_deals__raw_extract": {"config": config}}},
        )
        return metadata(result, "crm_deals", "raw_extract")

    first = extract({})
    # Mark the first batch succeeded with its cursor, as mapped_records would.
    materialize(spec, db_url, selection=["crm_deals/mapped_records"])
    incremental = extract({})
    full = extract({"full_resync": True})
    assert first["incremental_from"] == full["incremental_from"] == "1704067200000"
    assert incremental["incremental_from"] != first["incremental_from"]
