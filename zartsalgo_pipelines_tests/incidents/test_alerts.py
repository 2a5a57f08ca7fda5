"""Scenario: after every batch the failed-share and failed-batches-in-a-row conditions are
checked. Each opens one incident for the owner (not one per batch), the connection goes
connected -> degraded, and when the condition clears the incident resolves and the
connection is connected again."""

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.incidents.alerts import record_auth_result, record_rate_limit_wait
from zartsalgo_pipelines.ops.replay import resolve_dead_letters
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.helpers import count, quote

SOURCE = {"kind": "file", "path": "*.jsonl", "format": "jsonl"}


def connection_status(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT status FROM integration_connections")).scalar_one())


def open_kinds(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text("SELECT kind FROM incident_alerts WHERE resolved_at IS NULL ORDER BY kind")
            ).scalars()
        )


def sync(engine, spec, folder):  # type: ignore[no-untyped-def]
    return process_extract(engine, spec, extract_files(engine, spec, folder).batch_id)


def test_failed_share_opens_once_and_resolves(
    engine, make_spec: Callable[..., ProviderSpec], write_export, tmp_path
) -> None:
    spec = make_spec(source=SOURCE, alerts={"max_failed_share": 0.2}, min_rows=1)
    bad = [quote(1), quote(2, contact__email="x"), quote(3, status="nope")]
    sync(engine, spec, write_export(bad, "a.jsonl"))
    sync(engine, spec, write_export(bad, "a.jsonl"))
    assert open_kinds(engine) == ["failed_share"]
    assert count(engine, "incident_alerts") == 1
    assert connection_status(engine) == "degraded"
    (tmp_path / "exports" / "a.jsonl").unlink()
    sync(engine, spec, write_export([quote(4), quote(5)], "b.jsonl"))
    assert open_kinds(engine) == []
    assert connection_status(engine) == "connected"


def test_failed_batches_in_a_row_open_a_critical_alert(
    engine, make_spec: Callable[..., ProviderSpec], write_export, tmp_path
) -> None:
    spec = make_spec(source=SOURCE, alerts={"failed_batches_in_a_row": 2})
    empty = tmp_path / "nothing_dropped"
    empty.mkdir()
    for _ in range(2):
        with pytest.raises(FileNotFoundError, match="no export file matches"):
            extract_files(engine, spec, empty)
    assert open_kinds(engine) == ["failed_batches"]
    with engine.connect() as conn:
        alert = conn.execute(
            sa.text("SELECT severity, owner, next_action FROM incident_alerts")
        ).one()
        error = conn.execute(sa.text("SELECT last_error FROM integration_connections")).scalar_one()
    assert alert.severity == "critical" and alert.owner == spec.owner
    assert "zartsalgo manual" in alert.next_action and "no export file" in error
    sync(engine, spec, write_export([quote(1)]))
    assert open_kinds(engine) == [] and connection_status(engine) == "connected"


def test_auth_failure_disconnects_until_credentials_work_again(
    engine, make_spec: Callable[..., ProviderSpec], write_export
) -> None:
    spec = make_spec(source=SOURCE, auth={"model": "bearer", "credentials": {"token": "QR_TOKEN"}})
    sync(engine, spec, write_export([quote(1)]))
    with engine.begin() as conn:
        (opened,) = record_auth_result(conn, spec, ok=False, detail="HTTP 401")
        assert record_auth_result(conn, spec, ok=False, detail="HTTP 401") == []  # one incident
    assert opened.severity == "critical" and "QR_TOKEN" in opened.next_action
    assert connection_status(engine) == "disconnected" and open_kinds(engine) == ["auth_failure"]
    with engine.begin() as conn:
        (resolved,) = record_auth_result(conn, spec, ok=True)
    assert resolved.state == "resolved"
    assert connection_status(engine) == "connected" and open_kinds(engine) == []


@pytest.mark.parametrize(("waited", "expected"), [(30.0, []), (900.0, ["rate_limited"])])
def test_rate_limit_waits_beyond_the_allowance_open_an_alert(
    engine, make_spec: Callable[..., ProviderSpec], write_export, waited, expected
) -> None:
    spec = make_spec(source=SOURCE, alerts={"max_rate_limited_minutes": 10})
    sync(engine, spec, write_export([quote(1)]))
    with engine.begin() as conn:
        record_rate_limit_wait(conn, spec, waited_seconds=waited, hits=12)
    assert open_kinds(engine) == expected


@pytest.mark.parametrize(
    ("later", "stays_open"),
    [
        pytest.param(0, True, id="empty-incremental-batch"),
        pytest.param(3, True, id="batch-below-min_rows"),
        pytest.param(20, False, id="batch-of-min_rows-within-threshold"),
    ],
)
def test_failed_share_resolves_only_on_evidence(
    engine, make_spec: Callable[..., ProviderSpec], write_export, tmp_path, later, stays_open
) -> None:
    spec = make_spec(source=SOURCE, alerts={"max_failed_share": 0.1}, min_rows=20)
    rows = [quote(n) for n in range(1, 16)] + [quote(n, status="nope") for n in range(16, 21)]
    sync(engine, spec, write_export(rows, "a.jsonl"))
    assert open_kinds(engine) == ["failed_share"]
    (tmp_path / "exports" / "a.jsonl").unlink()
    sync(engine, spec, write_export([quote(n) for n in range(100, 100 + later)], "b.jsonl"))
    assert open_kinds(engine) == (["failed_share"] if stays_open else [])
    assert connection_status(engine) == ("degraded" if stays_open else "connected")


def test_failed_share_resolves_once_its_dead_letters_are_closed(
    engine, make_spec: Callable[..., ProviderSpec], write_export, tmp_path
) -> None:
    spec = make_spec(source=SOURCE, alerts={"max_failed_share": 0.1}, min_rows=20)
    rows = [quote(n) for n in range(1, 16)] + [quote(n, status="nope") for n in range(16, 21)]
    sync(engine, spec, write_export(rows, "a.jsonl"))
    (tmp_path / "exports" / "a.jsonl").unlink()
    with engine.connect() as conn:
        ids = list(conn.execute(sa.text("SELECT id FROM integration_dead_letters")).scalars())
    assert len(ids) == 5
    resolve_dead_letters(engine, spec, ids, state="resolved", note="provider fixed the export")
    sync(engine, spec, write_export([], "b.jsonl"))
    assert open_kinds(engine) == [] and connection_status(engine) == "connected"


def test_the_database_refuses_a_second_open_alert_of_a_kind(engine) -> None:
    """Review of issue 19: two portal refreshes at once each opened `no_new_data` (MariaDB).
    The check-then-insert is backed by a unique open_key: a writer that lost the race opens
    nothing, and a resolved alert frees the key for the next episode."""
    import datetime as dt

    from zartsalgo_pipelines.storage import alerts as store

    row = {
        "provider_key": "quote_request",
        "kind": "no_new_data",
        "severity": "warning",
        "owner": "team:data",
        "message": "m",
        "next_action": "n",
        "details": {},
        "opened_at": dt.datetime(2026, 12, 7),
    }
    with engine.begin() as first:
        assert store.insert_alert(first, **row) is True
    with engine.begin() as second:
        assert store.insert_alert(second, **row) is False  # the other refresh was first
        (open_row,) = store.open_rows(second, "quote_request", "no_new_data")
        store.mark_resolved(second, [open_row["id"]], dt.datetime(2026, 12, 8))
    with engine.begin() as third:
        assert store.insert_alert(third, **row) is True
    assert count(engine, "incident_alerts") == 2
