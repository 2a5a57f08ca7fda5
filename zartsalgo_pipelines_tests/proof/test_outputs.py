"""Scenario: from the portal cards come a report note per client and period (plain language,
stored with the ids of the shown cards it used, never a hidden one), admin tasks for the owner
(one open per client, metric and kind, a due date, resolved when the condition clears, history
kept), the impact of open incidents (unsafe cards and a client statement), the payload scan
(fails as soon as a payload value is planted in a portal-facing table) and the portal watch
(one deduped, self-resolving incident when a live provider's clients see no fresh card)."""

import datetime as dt

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.incidents.alerts import open_alert, open_alerts
from zartsalgo_pipelines.ops.replay import resolve_dead_letters
from zartsalgo_pipelines.proof.cards import load_cards
from zartsalgo_pipelines.proof.impact import refresh_impact
from zartsalgo_pipelines.proof.notes import build_notes
from zartsalgo_pipelines.proof.payload_scan import scan
from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
from zartsalgo_pipelines.proof.tasks import refresh_tasks
from zartsalgo_pipelines.proof.watch import KIND, watch
from zartsalgo_pipelines.storage.proof.tasks import task_rows
from zartsalgo_pipelines_tests.proof.portal_helpers import (
    NOW,
    STANDARD,
    W2,
    W3,
    build,
    load,
    load_failures,
    portal_spec,
)

W4 = W3 + dt.timedelta(days=7)  # the week NOW is in


@pytest.fixture
def built(engine, make_spec):
    spec = portal_spec(make_spec)
    load(engine, spec, STANDARD)
    build(engine, spec)
    return spec


def test_report_note_from_the_shown_cards(engine, built) -> None:
    with engine.begin() as conn:
        notes = {(n["client_key"], n["period_start"]): n for n in build_notes(conn, [built], NOW)}
        cards = load_cards(conn, client_key="acme-roofing")
    note = notes[("acme-roofing", W3)]
    assert note["text"] == (
        "In the week of 16 November 2026: Requests you can answer by email: 80.0%, within the "
        "usual range of the week before (88.9%). Quote requests received: 5 requests, within "
        "the usual range of the week before (9 requests)."
    )
    used = {c.id for c in cards if c.period_start == W3}
    assert set(note["card_ids"]) == used and note["visibility"] == "caveated"
    assert note["caveat"] == "Late records may still change this number."
    load_failures(engine, built, "acme-roofing", W3, 4)
    with engine.begin() as conn:
        refresh_portal_cards(conn, [built], NOW)
        hidden_week = {
            (n["client_key"], n["period_start"]): n for n in build_notes(conn, [built], NOW)
        }
    assert hidden_week[("acme-roofing", W3)]["card_ids"] == []
    assert hidden_week[("acme-roofing", W3)]["visibility"] == "hidden"


def test_admin_tasks_open_once_carry_a_due_date_and_resolve(engine, make_spec) -> None:
    spec = portal_spec(make_spec)
    # 12 then 2: beyond chance; 2 more this week, so the client is not quiet either
    load(engine, spec, {("acme-roofing", W2): 12, ("acme-roofing", W3): 2, ("acme-roofing", W4): 2})
    build(engine, spec)
    with engine.begin() as conn:
        first = refresh_tasks(conn, [spec], NOW)
        again = refresh_tasks(conn, [spec], NOW + dt.timedelta(hours=1))
        tasks = task_rows(conn, open_only=True)
    assert (first.opened, again.opened, again.still_open) == (1, 0, 1)
    task = tasks[0]
    assert (task["client_key"], task["metric_key"], task["kind"]) == (
        "acme-roofing",
        "requests_received",
        "declining",
    )
    assert task["message"] == (
        "acme-roofing: Quote requests received in the week of 16 November 2026 fell 83.3% "
        "against the week before (2 requests against 12 requests, beyond chance); find out why "
        "before the client asks."
    )
    assert task["due_at"] == NOW + dt.timedelta(days=2)
    load(engine, spec, {("acme-roofing", W3): 6})  # late records: 8 against 12 is chance
    build(engine, spec, live=False)
    with engine.begin() as conn:
        cleared = refresh_tasks(conn, [spec], NOW + dt.timedelta(hours=2))
        history = task_rows(conn)
    assert (cleared.resolved, cleared.still_open) == (1, 0)
    assert history[0]["resolution"] == "condition cleared" and history[0]["open_key"] is None


def test_a_hidden_card_opens_a_data_problem_task(engine, built) -> None:
    load_failures(engine, built, "acme-roofing", W3, 4)
    with engine.begin() as conn:
        refresh_portal_cards(conn, [built], NOW)
        refresh_tasks(conn, [built], NOW)
        tasks = [t for t in task_rows(conn, open_only=True) if t["kind"] == "hidden_data_problem"]
    (task,) = tasks  # one task for the client, naming every hidden card
    assert task["message"] == (
        "acme-roofing: 2 cards are hidden from the client (Requests you can answer by email for "
        "the week of 16 November 2026, Quote requests received for the week of 16 November "
        "2026); too many of the period's rows failed the field map (above the tolerated share): "
        "fix the field map or the source, then replay the dead letters."
    )


def test_open_incidents_name_the_unsafe_cards_and_tell_the_client(engine, built) -> None:
    with engine.begin() as conn:
        open_alert(
            conn,
            provider_key=built.key,
            kind="failed_batches",
            severity="critical",
            owner=built.owner,
            message="the last 3 batches failed",
            next_action="fix",
            details={},
        )
        refresh_portal_cards(conn, [built], NOW)
        refresh_impact(conn, [built], lambda spec: dt.datetime(2026, 11, 24, 8, 0))
        incident = open_alerts(conn, built.key)[0]
    assert "acme-roofing/requests_received/2026-11-16" in incident["unsafe_cards"]
    assert "acme-roofing/requests_received/2026-11-09" not in incident["unsafe_cards"]  # final
    assert incident["client_impact"] == (
        "Your quote requests received and requests you can answer by email numbers for the week "
        "of 16 November 2026 and the week of 23 November 2026 may be incomplete; the next "
        "update is expected by Tuesday 08:00 (Europe/Berlin)."
    )
    assert incident["message"] == "the last 3 batches failed"


def test_the_payload_scan_passes_clean_tables(engine, built) -> None:
    with engine.begin() as conn:
        build_notes(conn, [built], NOW)
        assert scan(conn, [built]) == []


@pytest.mark.parametrize(
    ("table", "column", "planted", "kind"),
    [
        ("portal_cards", "next_action", "Call zoe0@example.org today", "email"),
        ("portal_cards", "caveat", "see {id}", "external_id"),
        ("report_notes", "text", "Person {id} asked", "contact_name"),
        ("portal_cards", "label", "Bitte um Rückruf ❄️", "message"),
        ("portal_cards", "status_text", "+49 30 1234567", "phone"),
    ],
)
def test_the_payload_scan_fails_on_a_planted_value(
    engine, built, table: str, column: str, planted: str, kind: str
) -> None:
    with engine.begin() as conn:
        build_notes(conn, [built], NOW)
        # The planted values are really in a covered payload (the loader names people
        # "Person <id>"; every request has the email zoe0@example.org).
        payload = conn.execute(
            sa.text("SELECT id, external_id FROM integration_external_objects ORDER BY id LIMIT 1")
        ).one()
        planted = planted.replace("{id}", payload.external_id)
        if kind == "phone":
            conn.execute(
                sa.text("UPDATE integration_external_objects SET raw_payload = :p WHERE id = :i"),
                {"p": '{"contact": {"phone": "+49 30 1234567"}}', "i": payload.id},
            )
        row_id = conn.execute(sa.text(f"SELECT MIN(id) FROM {table}")).scalar_one()
        conn.execute(
            sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :i"), {"v": planted, "i": row_id}
        )
        findings = scan(conn, [built])
    assert findings, "a planted payload value must be found"
    assert {(f.table, f.row_id, f.column) for f in findings} == {(table, row_id, column)}
    assert kind in {f.kind for f in findings} or kind == "contact_name"


def test_the_watch_opens_one_incident_and_resolves_it(engine, built) -> None:
    with engine.begin() as conn:
        assert watch(conn, [built], NOW)[0].without_fresh_cards == []
    load_failures(engine, built, "acme-roofing", W4, 2)  # this week's only rows all fail
    load_failures(engine, built, "casa-verde", W4, 2)
    with engine.begin() as conn:
        refresh_portal_cards(conn, [built], NOW)
        first = watch(conn, [built], NOW)[0]
        second = watch(conn, [built], NOW)[0]
        opened = [a for a in open_alerts(conn, built.key) if a["kind"] == KIND]
    assert first.without_fresh_cards == ["acme-roofing", "casa-verde"]
    assert len(first.events) == 1 and second.events == [] and len(opened) == 1
    with engine.connect() as conn:
        ids = list(conn.execute(sa.text("SELECT id FROM integration_dead_letters")).scalars())
    resolve_dead_letters(engine, built, ids, state="ignored", note="test rows from QA")
    with engine.begin() as conn:
        refresh_portal_cards(conn, [built], NOW)
        cleared = watch(conn, [built], NOW)[0]
        assert not [a for a in open_alerts(conn, built.key) if a["kind"] == KIND]
    assert cleared.events[0].state == "resolved"
    later = NOW + dt.timedelta(hours=built.stale_after_hours + 1)
    with engine.begin() as conn:
        assert watch(conn, [built], later)[0].without_fresh_cards  # cards not refreshed since


@pytest.mark.parametrize(
    ("changes", "plan", "kinds"),
    [
        ({"target": 8}, {("acme-roofing", W3): 5}, ["off_target"]),
        # 12 a week, then an empty week, then requests again: the empty week is news
        ({}, {("acme-roofing", W2): 12, ("acme-roofing", W4): 2}, ["no_data"]),
        # a client who sends one now and then: an empty week is ordinary, no task
        ({}, {("acme-roofing", W2): 1, ("acme-roofing", W4): 1}, []),
    ],
)
def test_off_target_and_missing_data_open_tasks(
    engine, make_spec, changes: dict, plan: dict, kinds: list[str]
) -> None:
    from zartsalgo_pipelines.proof.golive import mark_live
    from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
    from zartsalgo_pipelines_tests.proof.portal_helpers import METRICS

    spec = make_spec(metrics=[METRICS[0] | changes])
    load(engine, spec, plan)
    with engine.begin() as conn:
        mark_live(conn, spec, decided_by="ana@zartsalgo.example", now=NOW)
        refresh_client_metrics(conn, spec, NOW)
        refresh_portal_cards(conn, [spec], NOW)
        refresh_tasks(conn, [spec], NOW)
        tasks = task_rows(conn, open_only=True)
    assert [t["kind"] for t in tasks] == kinds
    assert all(t["period_start"] == W3 and t["owner"] == spec.owner for t in tasks)


def test_the_client_statement_orders_periods_by_date_and_names_months(engine, make_spec) -> None:
    """Issue 19: the statement sorted weeks as text ("16 ... and 9 ...") and left out months."""
    from zartsalgo_pipelines_tests.proof.portal_helpers import METRICS

    monthly = METRICS[0] | {"key": "requests_month", "label": "Requests this month"}
    monthly |= {"period": "month", "restate_days": 30}
    spec = make_spec(metrics=[METRICS[0] | {"restate_days": 20}, monthly])
    load(engine, spec, {("acme-roofing", W2): 3, ("acme-roofing", W3): 4})
    build(engine, spec)
    with engine.begin() as conn:
        open_alert(
            conn,
            provider_key=spec.key,
            kind="failed_batches",
            severity="critical",
            owner=spec.owner,
            message="m",
            next_action="n",
            details={},
        )
        refresh_portal_cards(conn, [spec], NOW)
        refresh_impact(conn, [spec], lambda s: None)
        (incident,) = open_alerts(conn, spec.key)
    assert incident["client_impact"] == (
        "Your quote requests received and requests this month numbers for November 2026, the "
        "week of 9 November 2026, the week of 16 November 2026 and the week of 23 November 2026 "
        "may be incomplete; we will update them as soon as the connection is fixed."
    )
