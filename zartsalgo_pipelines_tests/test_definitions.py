"""Scenario: the Dagster definitions load from the defs folder, and every provider appears as
an asset group `<key>` with raw_extract -> mapped_records -> dead_letter -> client_metrics, its
owner, kinds, descriptions, field-map checks, sync job and stale-sync sensor. A bad spec is
refused at load with the file, line, field path, bad value and what was expected."""

import subprocess
import sys
import uuid
from pathlib import Path

import dagster as dg
import pytest
import yaml

from zartsalgo_pipelines.definitions import ALL_PROVIDERS_JOB, build_definitions, defs
from zartsalgo_pipelines.factory.portal import GROUP as PORTAL_GROUP
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, default_database
from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines_tests.conftest import SHIPPED_SPEC, shipped_attributes


def test_definitions_are_loadable() -> None:
    dg.Definitions.validate_loadable(build_definitions())
    assert defs is not None


def test_dagsters_component_loader_builds_the_same_providers() -> None:
    """definitions.py reads the specs itself (for speed); each defs.yaml stays a Dagster
    component, so `dg` tooling that loads it through the component tree sees the same assets,
    checks and jobs."""
    ours = build_definitions()
    theirs = dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=SHIPPED_SPEC.parent),
        dg.Definitions(resources={RESOURCE_KEY: default_database()}),
    )
    our_graph, their_graph = ours.resolve_asset_graph(), theirs.resolve_asset_graph()
    our_keys = {k for k in our_graph.get_all_asset_keys() if k.path[0] != PORTAL_GROUP}
    assert our_keys == set(their_graph.get_all_asset_keys())
    assert len(our_keys) == 12  # three shipped providers, four assets each
    assert set(their_graph.asset_check_keys) == {
        check for check in our_graph.asset_check_keys if check.asset_key in our_keys
    }
    their_jobs = {job.name for job in theirs.jobs or []}
    assert their_jobs and their_jobs <= {job.name for job in ours.jobs or []}


def test_each_asset_links_to_the_spec_it_comes_from() -> None:
    graph = build_definitions().resolve_asset_graph()
    for name in ("raw_extract", "mapped_records", "dead_letter", "client_metrics"):
        metadata = graph.get(dg.AssetKey(["quote_request", name])).metadata
        (reference,) = metadata["dagster/code_references"].code_references
        assert reference.file_path == str(SHIPPED_SPEC.resolve())


def test_quote_request_group_has_the_four_assets_in_order() -> None:
    graph = build_definitions().resolve_asset_graph()
    key = dg.AssetKey
    assert {k for k in graph.get_all_asset_keys() if k.path[0] == "quote_request"} == {
        key(["quote_request", n])
        for n in ("raw_extract", "mapped_records", "dead_letter", "client_metrics")
    }
    assert graph.get(key(["quote_request", "mapped_records"])).parent_keys == {
        key(["quote_request", "raw_extract"])
    }
    assert graph.get(key(["quote_request", "dead_letter"])).parent_keys == {
        key(["quote_request", "mapped_records"])
    }
    assert graph.get(key(["quote_request", "client_metrics"])).parent_keys == {
        key(["quote_request", "mapped_records"]),
        key(["quote_request", "dead_letter"]),
    }


def test_assets_carry_owner_kinds_description_and_group() -> None:
    graph = build_definitions().resolve_asset_graph()
    owner = shipped_attributes()["owner"]
    for name in ("raw_extract", "mapped_records", "dead_letter", "client_metrics"):
        node = graph.get(dg.AssetKey(["quote_request", name]))
        assert node.group_name == "quote_request"
        assert node.owners == [owner]
        assert node.description and "python" in node.kinds


def test_field_map_checks_judge_and_the_gate_on_dead_letter_blocks() -> None:
    definitions = build_definitions()
    mapped = definitions.resolve_assets_def(dg.AssetKey(["quote_request", "mapped_records"]))
    checks = {spec.name: spec for spec in mapped.check_specs}
    targets = [f["target"] for f in shipped_attributes()["fields"]]
    expected = {f"{t}_field_map" for t in targets} | {"rows_accounted", "rows_parseable"}
    assert expected == set(checks)
    # A blocking check fails its own step: only the accounting one may stop dead_letter.
    assert {n for n, spec in checks.items() if spec.blocking} == {"rows_accounted"}
    letters = definitions.resolve_assets_def(dg.AssetKey(["quote_request", "dead_letter"]))
    gates = {spec.name: spec.blocking for spec in letters.check_specs}
    assert gates == {"every_failure_dead_lettered": True, "failed_share_within_tolerance": True}


def test_jobs_and_sensor_exist() -> None:
    definitions = build_definitions()
    assert definitions.resolve_job_def(ALL_PROVIDERS_JOB)
    assert definitions.resolve_job_def("quote_request_sync")
    assert definitions.resolve_sensor_def("quote_request_stale_sync")


def test_intake_jobs_sensors_and_the_paused_rest_provider() -> None:
    definitions = build_definitions()
    assert definitions.resolve_job_def("quote_request_webhook_ingest")
    assert definitions.resolve_job_def("provider_connection_check")
    webhook_sensor = definitions.resolve_sensor_def("quote_request_webhook_deliveries")
    assert webhook_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    # crm_deals ships paused: its group exists, nothing of it runs on its own.
    raw = definitions.resolve_assets_def(dg.AssetKey(["crm_deals", "raw_extract"]))
    assert raw.tags_by_key[dg.AssetKey(["crm_deals", "raw_extract"])]["spec_status"] == "paused"
    assert "api" in raw.specs_by_key[dg.AssetKey(["crm_deals", "raw_extract"])].kinds
    schedule = definitions.resolve_schedule_def("crm_deals_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    selected = definitions.resolve_job_def(ALL_PROVIDERS_JOB).asset_layer.selected_asset_keys
    # The connected providers, then the portal; nothing of the paused crm_deals.
    assert {k.path[0] for k in selected} == {"quote_request", "portal"}


@pytest.mark.parametrize(
    "job_name",
    ["quote_request_sync", "quote_request_webhook_ingest", ALL_PROVIDERS_JOB, "__ASSET_JOB"],
)
def test_asset_jobs_run_in_one_process_and_end_with_the_portal(job_name: str) -> None:
    """A small sync pays one process start and one definitions load, not one per step; a
    pushed request reaches the client's card in the same run (docs/performance.md)."""
    definitions = build_definitions()
    job = (
        definitions.resolve_implicit_global_asset_job_def()
        if job_name == "__ASSET_JOB"
        else definitions.resolve_job_def(job_name)
    )
    assert job.executor_def.name == "in_process"
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"portal/portal_cards", "portal/report_notes", "portal/admin_tasks"} <= selected


def test_definitions_load_without_the_heavy_or_the_working_code() -> None:
    """The code server and every run worker load the definitions: the heavy libraries (pandas,
    pyarrow, pandera, requests) and the code that does the work (sources, pipeline, ops,
    proof) come only with the step, sensor or op that uses them."""
    probe = (
        "import sys, zartsalgo_pipelines.definitions as d; d.defs(); "
        "heavy = ('pandas', 'pyarrow', 'pandera', 'numpy', 'requests'); "
        "rooms = tuple(f'zartsalgo_pipelines.{r}.' for r in ('sources', 'pipeline', 'ops', "
        "'proof')); "
        "print(sorted(m for m in sys.modules if m in heavy or m.startswith(rooms)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]", out


@pytest.fixture
def scratch_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A throwaway dg project holding one provider spec, importable for this test only."""
    package = f"scratch_{uuid.uuid4().hex[:8]}"
    root = tmp_path / "project"
    (root / package / "defs" / "broken_provider").mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        f'[tool.dg]\ndirectory_type = "project"\n[tool.dg.project]\nroot_module = "{package}"\n'
    )
    monkeypatch.syspath_prepend(str(root))
    return root / package, root / package / "defs" / "broken_provider" / "defs.yaml"


def test_bad_spec_is_refused_at_load_naming_file_path_value_and_expectation(
    scratch_project: tuple[Path, Path],
) -> None:
    package, spec_file = scratch_project
    document = yaml.safe_load(SHIPPED_SPEC.read_text(encoding="utf-8"))
    document["attributes"]["fields"][9]["type"] = "money"
    spec_file.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    with pytest.raises(ProviderSpecError) as refused:
        build_definitions(package)
    message = str(refused.value)
    assert "broken_provider/defs.yaml" in message
    assert "attributes.fields.9.type" in message
    assert "money" in message
    assert "'string', 'integer', 'decimal', 'boolean', 'date', 'datetime' or 'category'" in message
