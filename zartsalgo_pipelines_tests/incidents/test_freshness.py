"""Scenario: data freshness beside sync freshness. The nightly export stops changing: every
sync succeeds with nothing new, so the stale-sync incident stays closed, but once a client's
silence is longer than its own recent rate makes likely, `no_new_data` opens naming it, its
cards after its last record carry a caveat a client can read, the owner gets a task, and all
of it clears as soon as a new record arrives. A client who sends one request a month is not
news after a quiet week."""

import datetime as dt

import pytest

from zartsalgo_pipelines.incidents.alerts import open_alerts
from zartsalgo_pipelines.incidents.freshness import freshness, usual_gap
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.proof.golive import mark_live
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
from zartsalgo_pipelines.proof.tasks import refresh_tasks
from zartsalgo_pipelines.storage.proof.tasks import task_rows
from zartsalgo_pipelines.storage.queries import last_successful_sync
from zartsalgo_pipelines_tests.helpers import quote

MONDAY = dt.date(2026, 11, 2)


def requests(client: str, first: dt.date, days: int, per_day: int, start: int) -> list[dict]:
    found = []
    for day in range(days):
        for i in range(per_day):
            moment = f"{first + dt.timedelta(days=day)}T{9 + i:02d}:00:00Z"
            record = quote(start + len(found), submitted_at=moment, client__slug=client)
            found.append(record)
    return found


@pytest.mark.parametrize(
    ("recent", "days", "delay_hours", "expected_days"),
    [
        (12, 7, 0, 2.69),  # 12 a week: exp(-12/7 t) = 1 % after 2.69 days
        (1, 30, 0, 138.2),  # 1 a month
        (56, 56, 0, 4.61),  # 1 a day
        (12, 7, 24, 3.69),  # a nightly export brings them up to a day late
        (12, 3, 0, 2.69),  # a rate is read over a week at least
    ],
)
def test_the_usual_gap_follows_the_clients_own_rate(
    recent, days, delay_hours, expected_days
) -> None:
    gap = usual_gap(recent, dt.timedelta(days=days), 0.99, delay_hours)
    assert gap is not None and gap.total_seconds() / 86400 == pytest.approx(expected_days, 0.01)
    assert usual_gap(0, dt.timedelta(days=56), 0.99, 24) is None  # no rate, no judgement


def test_an_unchanging_export_opens_no_new_data_and_a_new_record_clears_it(
    engine, make_spec, write_export
) -> None:
    busy = requests("acme-roofing", MONDAY, 10, 2, 1)  # 2 a day until 11 November
    rare = requests("casa-verde", MONDAY, 1, 1, 500)  # one request in a month
    steady = requests("nordlicht-solar", MONDAY, 14, 1, 600)  # one a day, up to 15 November
    folder = write_export(busy + rare + steady)
    spec = make_spec(source={"kind": "file", "path": str(folder / "*.jsonl"), "format": "jsonl"})
    for _ in range(2):  # the nightly job leaves yesterday's file in place: nothing new
        process_extract(engine, spec, extract_files(engine, spec, folder).batch_id)
    now = dt.datetime(2026, 11, 16, 12, 0)  # 5 days after acme's last request
    with engine.begin() as conn:
        mark_live(conn, spec, decided_by="ana@zartsalgo.example")
        assert last_successful_sync(conn, spec.key) is not None  # the syncs succeeded
        fresh = freshness(conn, spec, now)
        assert fresh is not None
        assert [s.client_key for s in fresh.silent_clients] == ["acme-roofing"]
        refresh_client_metrics(conn, spec, now)
        refreshed = refresh_portal_cards(conn, [spec], now)
        refresh_tasks(conn, [spec], now)
        (incident,) = [a for a in open_alerts(conn, spec.key) if a["kind"] == "no_new_data"]
        tasks = [t for t in task_rows(conn, open_only=True) if t["kind"] == "no_new_data"]
    assert "acme-roofing" in incident["message"] and "casa-verde" not in incident["message"]
    assert "any client" not in incident["message"]  # the provider as a whole still sends
    assert [e.kind for e in refreshed.events] == ["no_new_data"]
    acme = [c for c in refreshed.cards if c.client_key == "acme-roofing"]
    current = [c for c in acme if c.period_start == dt.date(2026, 11, 16)]
    assert current and all(c.has_caveat("no_new_data") for c in current)
    assert current[0].caveat is not None and current[0].caveat.startswith(
        "No new requests have arrived since 11 November 2026, longer than usual"
    )
    casa = [c for c in refreshed.cards if c.client_key == "casa-verde"]
    assert not [c for c in casa if c.has_caveat("no_new_data")]
    assert [t["client_key"] for t in tasks] == ["acme-roofing"]

    late = requests("acme-roofing", dt.date(2026, 11, 16), 1, 1, 900)  # data flows again
    process_extract(
        engine,
        spec,
        extract_files(engine, spec, write_export(busy + rare + steady + late)).batch_id,
    )
    with engine.begin() as conn:
        refreshed = refresh_portal_cards(conn, [spec], now)
        refresh_tasks(conn, [spec], now)
        assert not [a for a in open_alerts(conn, spec.key) if a["kind"] == "no_new_data"]
        assert not [t for t in task_rows(conn, open_only=True) if t["kind"] == "no_new_data"]
    assert [(e.kind, e.state) for e in refreshed.events] == [("no_new_data", "resolved")]
    assert not [c for c in refreshed.cards if c.has_caveat("no_new_data")]


def test_a_silence_longer_than_the_lookback_is_still_news(make_spec) -> None:
    """Review of issue 19: with no record in the last 56 days the rate was none, and the
    silence stopped being news. The rate is read before the silence began."""
    from zartsalgo_pipelines.incidents.freshness import _silence
    from zartsalgo_pipelines.storage.freshness import Arrivals

    spec = make_spec()
    newest = dt.datetime(2026, 12, 6, 10)  # 12 a week until then
    seen = Arrivals("acme", newest, 96, newest - dt.timedelta(days=56), newest)
    for days in (5, 60, 400):
        silence = _silence(spec, "acme", seen, newest + dt.timedelta(days=days), False)
        assert silence.silent and silence.usual_gap is not None
        assert silence.usual_gap < dt.timedelta(days=5)  # the gap does not grow with it


def test_a_date_field_names_the_day_itself(make_spec) -> None:
    """Review of issue 19: a date freshness field said "since 28 November" for the 27th."""
    from zartsalgo_pipelines.incidents.freshness import _silence
    from zartsalgo_pipelines.storage.freshness import Arrivals

    spec = make_spec()
    newest = dt.datetime(2026, 11, 27)
    silence = _silence(spec, "acme", Arrivals("acme", newest, 40, None, newest), newest, True)
    assert silence.newest == newest
