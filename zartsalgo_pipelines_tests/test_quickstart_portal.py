"""Scenario: the first README command's portal step. After a sync, `build_portal` opens the
go-live gate of a synced provider that never had a decision (as the local demo, and says so),
leaves a withdrawn provider hidden, builds the portal group through Dagster and prints where the
preview is. The impact statement's next update is the provider's next scheduled sync."""

import datetime as dt
from pathlib import Path

import pytest

from zartsalgo_pipelines.definitions import build_definitions
from zartsalgo_pipelines.factory.portal import next_update
from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.proof.golive import withdraw
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.quickstart import DEMO_REVIEWER, build_portal
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.storage.proof.golive import go_live_history, live_since
from zartsalgo_pipelines_tests.helpers import quote


def test_build_portal_opens_the_demo_gate_and_prints_the_preview(
    engine, db_url, make_spec, data_dir: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("ZARTSALGO_DATABASE_URL", db_url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    spec = make_spec()
    rows = [SourceRow("q.jsonl", 1, quote(1, submitted_at="2026-11-16T10:00:00Z"))]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "q.jsonl"), rows)
    with engine.begin() as conn:
        refresh_client_metrics(conn, spec)  # what the sync job's client_metrics asset did
    specs = [spec, make_spec(key="other_form")]
    assert build_portal(db_url, specs, build_definitions())
    out = capsys.readouterr().out
    assert "quote_request: marked live in the portal for the local demo" in out
    assert f"Portal preview: {data_dir / 'portal_preview' / 'index.html'}" in out
    assert (data_dir / "portal_preview" / "client-acme-roofing.html").is_file()
    with engine.begin() as conn:
        assert go_live_history(conn, spec.key)[-1]["decided_by"] == DEMO_REVIEWER
        assert go_live_history(conn, "other_form") == []  # no batch: nothing to review
        withdraw(conn, spec, decided_by="ana@zartsalgo.example")
    build_portal(db_url, specs, build_definitions())
    assert "marked live" not in capsys.readouterr().out
    with engine.connect() as conn:
        assert live_since(conn, spec.key) is None


@pytest.mark.parametrize(("cron", "hour"), [("15 6 * * *", 6), ("0 * * * *", None)])
def test_next_update_is_the_next_scheduled_sync(make_spec, cron: str, hour: int | None) -> None:
    spec = make_spec(schedule={"cron": cron, "timezone": "Europe/Berlin"})
    moment = next_update(spec)
    assert moment is not None and moment > dt.datetime.now(dt.UTC)
    assert moment - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)
    assert str(moment.tzinfo) == "Europe/Berlin"
    if hour is not None:
        assert (moment.hour, moment.minute) == (hour, 15)
    assert next_update(make_spec(schedule=None)) is None
