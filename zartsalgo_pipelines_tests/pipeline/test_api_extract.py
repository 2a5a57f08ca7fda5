"""REST extracts through the one ingestion path, on SQLite and MySQL: the shipped crm_deals
spec against the fake HubSpot API. Counts add up, nothing is lost or loaded twice, the
incremental cursor moves only after a successful batch, and failures load nothing."""

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.incidents.alerts import open_alerts
from zartsalgo_pipelines.ops.connection_check import check_connection
from zartsalgo_pipelines.ops.test_sync import api_rows, dry_run
from zartsalgo_pipelines.pipeline.api_extract import extract_api
from zartsalgo_pipelines.pipeline.run import landing_dir, process_extract
from zartsalgo_pipelines.settings import DEFS_DIR
from zartsalgo_pipelines.sources.rest import AuthFailedError, ExtractError, MalformedResponseError
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.connections import stored_cursor
from zartsalgo_pipelines.storage.import_batches import review
from zartsalgo_pipelines.storage.queries import connection_status
from zartsalgo_pipelines.tables import DataImportRow, table_of
from zartsalgo_pipelines_tests.fake_api import TOKEN, FakeApi, Fault, crm_spec, deal
from zartsalgo_pipelines_tests.helpers import count, quote

rows = table_of(DataImportRow)


def sync(engine: sa.Engine, spec: ProviderSpec, **kwargs: Any) -> Any:
    extract = extract_api(engine, spec, **kwargs)
    return extract, process_extract(engine, spec, extract.batch_id)


def test_a_rest_sync_accounts_for_every_record_with_its_page(
    engine: sa.Engine, api: FakeApi
) -> None:
    spec = crm_spec(api)
    extract, result = sync(engine, spec)
    assert extract.pages == 3 and extract.records == 7  # page size 3 on the fake API
    assert (result.rows_total, result.rows_created, result.rows_failed, result.rows_ignored) == (
        7,
        3,
        3,
        1,
    )
    assert result.adds_up
    assert count(engine, "crm_deals") == 3
    assert count(engine, "integration_dead_letters") == 3
    with engine.connect() as conn:
        stages = dict(conn.execute(sa.text("SELECT external_id, stage FROM crm_deals")).all())
        refs = conn.execute(
            sa.select(rows.c.source_ref, rows.c.source_position, rows.c.status)
            .where(rows.c.batch_id == extract.batch_id)
            .order_by(rows.c.row_number)
        ).all()
    assert stages == {"1": "open", "2": "won", "3": "lost"}
    assert refs[0][:2] == ("page-000001.jsonl", 1) and refs[6][:2] == ("page-000003.jsonl", 1)
    # The first request asked from the initial value itself (no lookback before it), in epoch
    # milliseconds.
    first = api.api_requests()[0].body
    assert first["filterGroups"][0]["filters"][0]["value"] == 1704067200000


def test_incremental_state_moves_after_success_and_a_rerun_changes_nothing(
    engine: sa.Engine, api: FakeApi
) -> None:
    spec = crm_spec(api)
    sync(engine, spec)
    with engine.connect() as conn:
        assert stored_cursor(conn, spec.key) == "2026-11-07T08:00:00Z"
    api.seen.clear()
    api.deals.append(deal(8, "2026-11-08T08:00:00.000Z", dealstage="contractsent"))
    api.deals[0] = deal(1, "2026-11-09T08:00:00.000Z", dealstage="closedwon")  # edited
    _, second = sync(engine, spec)
    sent = api.api_requests()[0].body["filterGroups"][0]["filters"][0]["value"]
    assert sent == 1794038400000 - 300_000  # 2026-11-07T08:00Z minus the 5 min lookback
    # Only deals modified since then come back: 7 (inside the lookback, a duplicate), 8, 1.
    assert (second.rows_total, second.rows_created, second.rows_updated, second.rows_failed) == (
        3,
        1,
        1,
        1,
    )
    assert second.adds_up
    with engine.connect() as conn:
        assert stored_cursor(conn, spec.key) == "2026-11-09T08:00:00Z"
    before = count(engine, "crm_deals"), count(engine, "integration_external_objects")
    _, third = sync(engine, spec)  # nothing new: the lookback re-reads deal 1 as a duplicate
    assert third.rows_created == third.rows_updated == 0 and third.adds_up
    assert (count(engine, "crm_deals"), count(engine, "integration_external_objects")) == before


def test_full_resync_reads_from_the_initial_value(engine: sa.Engine, api: FakeApi) -> None:
    spec = crm_spec(api)
    sync(engine, spec)
    _, again = sync(engine, spec, full_resync=True)
    assert again.rows_total == 7
    assert again.rows_duplicate + again.rows_failed + again.rows_ignored == 7


def test_a_bad_page_mid_sync_loads_nothing_and_keeps_the_cursor(
    engine: sa.Engine, api: FakeApi
) -> None:
    spec = crm_spec(api)
    api.faults = {3: Fault(200, b"<html>Bad gateway</html>", content_type="text/html")}
    with pytest.raises(MalformedResponseError, match="the response is an HTML page"):
        extract_api(engine, spec)
    with engine.connect() as conn:
        batch_id, token = conn.execute(
            sa.text("SELECT id, token FROM data_import_batches ORDER BY id DESC")
        ).first()
        failed = review(conn, batch_id)
        assert stored_cursor(conn, spec.key) is None
    assert failed.status == "failed" and failed.rows_total == 0
    assert token and not landing_dir(spec.key, batch_id, token).exists()  # good pages dropped
    assert count(engine, "crm_deals") == count(engine, "data_import_rows") == 0
    api.faults = {}
    _, result = sync(engine, spec)
    assert result.rows_total == 7 and result.rows_created == 3


def test_rate_limiting_is_recorded_on_the_batch_and_alerts_past_the_limit(
    engine: sa.Engine, api: FakeApi
) -> None:
    spec = crm_spec(api).model_copy(
        update={
            "alerts": crm_spec(api).alerts.model_copy(update={"max_rate_limited_minutes": 0.01})
        }
    )
    api.faults = {2: Fault(429, headers={"Retry-After": "1"})}
    extract, result = sync(engine, spec)
    assert extract.http["rate_limit_hits"] == 1 and extract.http["rate_limit_wait_seconds"] >= 1
    assert result.rows_total == 7
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT http_requests, rate_limit_hits, rate_limit_wait_seconds "
                "FROM data_import_batches WHERE id = :b"
            ),
            {"b": extract.batch_id},
        ).one()
        kinds = [a["kind"] for a in open_alerts(conn, spec.key)]
    assert row[0] == 4 and row[1] == 1 and row[2] >= 1
    assert "rate_limited" in kinds


def test_refused_credentials_disconnect_and_a_good_check_reconnects(
    engine: sa.Engine, api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = crm_spec(api)
    monkeypatch.setenv("HUBSPOT_PRIVATE_APP_TOKEN", "expired-token")
    with pytest.raises(AuthFailedError):
        extract_api(engine, spec)
    with engine.connect() as conn:
        assert connection_status(conn, spec.key) == "disconnected"
        alert = next(a for a in open_alerts(conn, spec.key) if a["kind"] == "auth_failure")
        error = conn.execute(
            sa.text("SELECT last_error FROM integration_connections WHERE provider_key = :k"),
            {"k": spec.key},
        ).scalar_one()
    assert "HTTP 401" in alert["message"] and "expired-token" not in alert["message"] + error
    monkeypatch.setenv("HUBSPOT_PRIVATE_APP_TOKEN", TOKEN)
    check = check_connection(engine, spec, DEFS_DIR / "crm_deals")
    assert (check.result, check.connection_status) == ("connected", "connected")
    assert len(api.api_requests()) == 2  # the check called the provider once


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        pytest.param({"token": "wrong"}, "auth_failed", id="auth_failed"),
        pytest.param({"base_url": "http://127.0.0.1:9"}, "unreachable", id="unreachable"),
        pytest.param({"token": None}, "not_configured", id="not_configured"),
        pytest.param({"fault": Fault(200, b"[]")}, "unexpected_response", id="unexpected"),
    ],
)
def test_connection_check_reports_each_outcome(
    engine: sa.Engine,
    api: FakeApi,
    monkeypatch: pytest.MonkeyPatch,
    setup: dict[str, Any],
    expected: str,
) -> None:
    source = {"base_url": setup["base_url"]} if "base_url" in setup else {}
    spec = crm_spec(api, **source)
    if "token" in setup:
        if setup["token"] is None:
            monkeypatch.delenv("HUBSPOT_PRIVATE_APP_TOKEN")
        else:
            monkeypatch.setenv("HUBSPOT_PRIVATE_APP_TOKEN", setup["token"])
    if "fault" in setup:
        api.faults = {1: setup["fault"]}
    check = check_connection(engine, spec, DEFS_DIR / "crm_deals")
    assert check.result == expected
    assert len(api.api_requests()) <= 4  # one call (plus its retries for an unreachable host)
    with engine.connect() as conn:
        status = connection_status(conn, spec.key)
        kinds = {a["kind"] for a in open_alerts(conn, spec.key)}
    expected_status = {
        "auth_failed": "disconnected",
        "unreachable": "degraded",
        "not_configured": "disconnected",
        "unexpected_response": "connected",
    }[expected]
    assert status == check.connection_status == expected_status
    assert ("auth_failure" in kinds) == (expected == "auth_failed")
    assert ("credentials_missing" in kinds) == (expected == "not_configured")
    assert ("unreachable" in kinds) == (expected == "unreachable")


def test_an_unset_credential_disconnects_until_it_is_set(
    engine: sa.Engine, api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = crm_spec(api)
    sync(engine, spec)
    monkeypatch.delenv("HUBSPOT_PRIVATE_APP_TOKEN")
    check = check_connection(engine, spec, DEFS_DIR / "crm_deals")
    with engine.connect() as conn:
        (alert,) = [a for a in open_alerts(conn, spec.key) if a["kind"] == "credentials_missing"]
    assert (check.result, check.connection_status) == ("not_configured", "disconnected")
    assert alert["kind"] == "credentials_missing" and alert["severity"] == "critical"
    assert "HUBSPOT_PRIVATE_APP_TOKEN" in alert["message"] + alert["next_action"]
    monkeypatch.setenv("HUBSPOT_PRIVATE_APP_TOKEN", TOKEN)
    check = check_connection(engine, spec, DEFS_DIR / "crm_deals")
    with engine.connect() as conn:
        assert "credentials_missing" not in {a["kind"] for a in open_alerts(conn, spec.key)}
    assert check.result == "connected" and check.connection_status != "disconnected"


LOOPBACK_SOURCES = [
    pytest.param({"path": "/items/single"}, {}, id="single_page"),
    pytest.param(
        {"path": "/items/page", "paginator": {"type": "page_number", "total_path": "total_pages"}},
        {3: Fault(429, headers={"Retry-After": "0"})},
        id="page_number+429",
    ),
    pytest.param(
        {"path": "/items/offset", "paginator": {"type": "offset", "limit": 4}},
        {2: Fault(500), 3: Fault(502)},
        id="offset+5xx",
    ),
    pytest.param(
        {
            "path": "/items/cursor",
            "paginator": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
        },
        {2: Fault(hold=True)},
        id="cursor+timeout",
    ),
    pytest.param(
        {
            "path": "/items/json_link",
            "paginator": {"type": "json_link", "next_url_path": "links.next"},
        },
        {1: Fault(503)},
        id="json_link+503",
    ),
    pytest.param(
        {"path": "/items/header_link", "paginator": {"type": "header_link"}},
        {4: Fault(429, headers={"Retry-After": "0"})},
        id="header_link+429",
    ),
]


@pytest.mark.parametrize(("source", "faults"), LOOPBACK_SOURCES)
def test_every_paginator_and_retried_fault_stores_each_record_exactly_once(
    engine: sa.Engine,
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    source: dict[str, Any],
    faults: dict[int, Fault],
) -> None:
    fake_api.items = [quote(n) for n in range(1, 10)] + [quote(10, contact__email="nope")]
    fake_api.faults = faults
    spec = make_spec(
        webhook=None,
        source={
            "kind": "rest_api",
            "base_url": fake_api.url,
            "records_path": "data",
            "timeout_seconds": 0.5,
            "http_retries": {"max_retries": 3, "backoff_factor": 0.01, "jitter_seconds": 0.01},
        }
        | source,
    )
    extract, result = sync(engine, spec)
    assert extract.http["http_retries"] == len(faults)
    assert (result.rows_total, result.rows_created, result.rows_failed) == (10, 9, 1)
    assert result.adds_up
    with engine.connect() as conn:
        stored = (
            conn.execute(sa.select(rows.c.external_id).where(rows.c.batch_id == extract.batch_id))
            .scalars()
            .all()
        )
    assert sorted(stored) == [f"QR-{n:05d}" for n in range(1, 11)]  # nothing lost, nothing twice
    assert count(engine, "quote_requests") == 9


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        pytest.param({"faults": {2: Fault(500), 3: Fault(500)}}, None, id="500s-retried"),
        pytest.param({"repeat_cursor": True}, "sent the same cursor twice", id="repeating-cursor"),
        pytest.param(
            {"faults": {2: Fault(200, b'{"results": [')}}, "not valid JSON", id="malformed"
        ),
    ],
)
def test_the_shipped_crm_spec_survives_or_fails_cleanly(
    engine: sa.Engine, api: FakeApi, setup: dict[str, Any], error: str | None
) -> None:
    spec = crm_spec(api)
    api.faults = setup.get("faults", {})
    api.repeat_cursor = setup.get("repeat_cursor", False)
    if error is None:
        _, result = sync(engine, spec)
        assert result.rows_total == 7 and result.adds_up
        assert count(engine, "crm_deals") == 3
        return
    with pytest.raises(ExtractError, match=error):
        extract_api(engine, spec)
    with engine.connect() as conn:
        assert stored_cursor(conn, spec.key) is None
        status = conn.execute(sa.text("SELECT status FROM data_import_batches")).scalar_one()
    assert status == "failed"
    assert count(engine, "crm_deals") == count(engine, "data_import_rows") == 0


def test_a_test_sync_reads_the_api_and_writes_nothing(engine: sa.Engine, api: FakeApi) -> None:
    spec = crm_spec(api)
    review = dry_run(engine, spec, api_rows(spec))
    assert (review.total, review.counts["created"], review.counts["failed"]) == (7, 3, 3)
    assert review.counts["ignored"] == 1
    assert count(engine, "data_import_batches") == count(engine, "crm_deals") == 0
    # A page whose record is not an object: one failed row that says so.
    api.faults = {len(api.api_requests()) + 1: Fault(200, b'{"results": ["not a deal"]}')}
    odd = dry_run(engine, spec, api_rows(spec))
    assert (odd.total, odd.counts["failed"]) == (1, 1)
    assert odd.stats.fields["record"].checks == {"parseable record": 1}


def test_an_integer_beyond_64_bits_from_an_api_is_landed_and_kept_as_sent(
    engine: sa.Engine, api: FakeApi
) -> None:
    """An API page is parsed keeping integers of any length (as files and webhooks are), and
    landed as it was read: the digits reach the record's context, never a float."""
    api.deals = [deal(1, "2026-11-08T08:00:00.000Z") | {"score": 2**70}]
    _, result = sync(engine, crm_spec(api))
    assert (result.rows_total, result.rows_created) == (1, 1)
    with engine.connect() as conn:
        context = conn.execute(sa.text("SELECT source_context FROM crm_deals")).scalar_one()
    assert "1180591620717411303424" in str(context)
