"""Scenario: the `portal` group (portal_cards -> report_notes, admin_tasks, portal_preview)
depends on every provider's client_metrics, carries owners and descriptions, materializes
through Dagster on SQLite and MySQL with small readable metadata, and its blocking payload check
fails (and stops the notes and the preview) when a payload value is planted in a portal table.
The go-live job records who and when; the portal watch sensor reports the facts it found."""

import datetime as dt
import json
from typing import Any

import dagster as dg
import sqlalchemy as sa

from zartsalgo_pipelines.definitions import build_definitions
from zartsalgo_pipelines.factory.portal import KEYS, build_portal_assets, portal_visibility_watch
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.proof.golive import mark_live
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.storage.proof.feed import feed_rows
from zartsalgo_pipelines.storage.proof.golive import go_live_history
from zartsalgo_pipelines.storage.proof.notes import note_rows
from zartsalgo_pipelines_tests.helpers import quote

PORTAL = [KEYS[n] for n in ("portal_cards", "report_notes", "admin_tasks", "portal_preview")]


def prepare(engine: sa.Engine, make_spec: Any) -> None:
    spec = make_spec()  # the shipped quote_request spec
    records = [quote(n, submitted_at=f"2026-11-{9 + (n % 14):02d}T10:00:00Z") for n in range(1, 40)]
    rows = [SourceRow("a.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "a.jsonl"), rows)
    with engine.begin() as conn:
        mark_live(conn, spec, decided_by="ana@zartsalgo.example")
        refresh_client_metrics(conn, spec)


def run(db_url: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        build_portal_assets([], ["data-team@zartsalgo.example"]),
        resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        raise_on_error=False,
    )


def test_portal_group_has_lineage_from_every_provider() -> None:
    graph = build_definitions().resolve_asset_graph()
    cards = graph.get(KEYS["portal_cards"])
    assert cards.parent_keys == {
        dg.AssetKey(["quote_request", "client_metrics"]),
        dg.AssetKey(["crm_deals", "client_metrics"]),
        dg.AssetKey(["ads_google", "client_metrics"]),
    }
    for key in PORTAL:
        node = graph.get(key)
        assert node.group_name == "portal" and node.owners and node.description
        assert node.pools == {"portal"}  # one rebuild at a time, whichever syncs end at once
    assert graph.get(KEYS["report_notes"]).parent_keys == {KEYS["portal_cards"]}


def test_portal_assets_materialize_with_readable_metadata(engine, db_url, make_spec) -> None:
    prepare(engine, make_spec)
    result = run(db_url)
    assert result.success
    checks = {(c.asset_key, c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert all(checks.values()) and len(checks) == 3
    events = {e.asset_key: e for e in result.get_asset_materialization_events()}
    metadata = events[KEYS["portal_cards"]].materialization.metadata
    assert "| client | card | period |" in metadata["latest"].value
    assert "Quote requests received" in metadata["latest"].value
    assert sum(metadata["by_visibility"].value.values()) == metadata["dagster/row_count"].value
    size = len(json.dumps({k: str(v.value) for k, v in metadata.items()}))
    assert size < 16_000
    preview = events[KEYS["portal_preview"]].materialization.metadata["index"].value
    assert preview.endswith("index.html")
    with engine.connect() as conn:
        assert note_rows(conn) and feed_rows(conn)


def test_a_planted_payload_value_fails_the_check_and_stops_downstream(
    engine, db_url, make_spec
) -> None:
    prepare(engine, make_spec)
    assert run(db_url).success
    # Planted in the notes: the cards' own texts are rewritten from the metrics on refresh.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE report_notes SET text = 'Call zoe7@example.org'"))
    result = run(db_url)
    failed = {
        (c.asset_key, c.check_name) for c in result.get_asset_check_evaluations() if not c.passed
    }
    assert (KEYS["portal_cards"], "no_raw_payload_values") in failed
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert KEYS["portal_preview"] not in materialized and KEYS["report_notes"] not in materialized
    evaluation = next(c for c in result.get_asset_check_evaluations() if not c.passed)
    assert "zoe7" not in json.dumps({k: str(v.value) for k, v in evaluation.metadata.items()})


def test_go_live_job_records_who_and_when(engine, db_url, make_spec) -> None:
    prepare(engine, make_spec)
    job = build_definitions().resolve_job_def("portal_go_live")
    result = job.execute_in_process(
        run_config={
            "ops": {
                "go_live_op": {
                    "config": {
                        "provider": "quote_request",
                        "decided_by": "ben@zartsalgo.example",
                        "note": "ok",
                    }
                }
            }
        },
        resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
    )
    assert result.success
    with engine.connect() as conn:
        last = go_live_history(conn, "quote_request")[-1]
    assert (last["action"], last["decided_by"]) == ("live", "ben@zartsalgo.example")
    assert dt.datetime.now(dt.UTC).replace(tzinfo=None) - last["decided_at"] < dt.timedelta(
        minutes=10
    )


def test_the_watch_sensor_states_what_it_found(engine, db_url, make_spec) -> None:
    prepare(engine, make_spec)
    assert run(db_url).success
    context = dg.build_sensor_context(resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)})
    result = portal_visibility_watch(context)
    assert "quote_request: 1 of 1 clients see fresh cards" in str(result.skip_reason)
    assert result.cursor
