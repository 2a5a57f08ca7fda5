"""Scenario: client metrics become portal cards with formatted values, the baseline they used,
the status in words, the next action and a visibility with its reason. The go-live gate hides
a provider until its owner marks it live; a failed field map, stale data or a disconnected
provider hide the unfinished numbers; an open incident, an unfinished or restatable period
caveat them; everything changes back when the fact clears. The portal reads only through the
portal_feed view, which never holds a hidden card."""

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.incidents.alerts import open_alert
from zartsalgo_pipelines.proof.cards import refresh_portal_cards
from zartsalgo_pipelines.proof.golive import GoLiveRefusedError, mark_live, withdraw
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.cards import card_rows
from zartsalgo_pipelines.storage.proof.feed import feed_rows
from zartsalgo_pipelines.storage.proof.golive import go_live_history
from zartsalgo_pipelines.storage.proof.metrics import as_date
from zartsalgo_pipelines_tests.proof.portal_helpers import (
    NOW,
    STANDARD,
    W2,
    W3,
    build,
    load,
    portal_spec,
)


def by_key(cards: list[dict]) -> dict[tuple[str, str, dt.date], dict]:
    return {(c["client_key"], c["metric_key"], as_date(c["period_start"])): c for c in cards}


def refresh(engine: sa.Engine, spec: ProviderSpec) -> dict:
    with engine.begin() as conn:
        return by_key(refresh_portal_cards(conn, [spec], NOW))


def test_cards_are_formatted_with_baseline_status_and_action(engine, make_spec) -> None:
    spec = portal_spec(make_spec)
    load(engine, spec, STANDARD)
    cards = by_key(build(engine, spec))
    week3 = cards[("acme-roofing", "requests_received", W3)]
    assert (week3["current_display"], week3["baseline_display"]) == ("5 requests", "9 requests")
    assert week3["change_display"] == "-4 requests (-44.4 %)"
    assert (week3["status"], week3["status_text"]) == ("declining", "Worse than the week before")
    assert week3["baseline_kind"] == "previous_period" and week3["period_label"] == (
        "week of 16 November 2026"
    )
    assert week3["source_label"] == "Website quote-request form" and week3["next_action"]
    share = cards[("acme-roofing", "email_share", W3)]
    assert share["current_display"] == "80.0 %" and share["change_display"] == (
        "-8.9 points (-10.0 %)"
    )
    small = cards[("casa-verde", "email_share", W3)]
    assert (small["status"], small["current_value"], small["current_display"]) == (
        "too_few",
        None,
        "2 records",
    )
    assert week3["visibility"] == "caveated" and "Late records" in week3["caveat"]
    assert cards[("acme-roofing", "requests_received", W2)]["visibility"] == "visible"


def test_the_go_live_gate_hides_until_the_owner_marks_live(engine, make_spec) -> None:
    spec = portal_spec(make_spec)
    with engine.begin() as conn, pytest.raises(GoLiveRefusedError, match="no successful batch"):
        mark_live(conn, spec, decided_by="ana@zartsalgo.example")
    load(engine, spec, STANDARD)
    cards = build(engine, spec, live=False)
    assert {(c["visibility"], c["visibility_reason"]) for c in cards} == {("hidden", "not_live")}
    with engine.begin() as conn:
        decision = mark_live(conn, spec, decided_by="ana@zartsalgo.example", note="reviewed")
        assert go_live_history(conn, spec.key)[-1]["decided_by"] == "ana@zartsalgo.example"
    assert decision["reviewed_batch_id"] is not None
    assert all(c["visibility"] != "hidden" for c in refresh(engine, spec).values())
    with engine.begin() as conn:
        withdraw(conn, spec, decided_by="ana@zartsalgo.example")
    assert all(c["visibility_reason"] == "not_live" for c in refresh(engine, spec).values())


def _set_failed_share(engine: sa.Engine, failed: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE data_import_batches SET rows_failed = :f, rows_total = rows_total + :f"
            ),
            {"f": failed},
        )


@pytest.mark.parametrize(
    ("fact", "reason"),
    [
        ("failed_share", "data_problem"),
        ("stale", "stale"),
        ("disconnected", "not_connected"),
    ],
)
def test_data_problems_hide_unfinished_numbers_and_clear_again(
    engine, make_spec: Callable[..., ProviderSpec], fact: str, reason: str
) -> None:
    spec = portal_spec(make_spec)
    load(engine, spec, STANDARD)
    build(engine, spec)
    with engine.begin() as conn:
        if fact == "failed_share":
            conn.execute(sa.text("UPDATE data_import_batches SET rows_failed = rows_total"))
        elif fact == "stale":
            conn.execute(
                sa.text("UPDATE integration_connections SET last_successful_sync_at = :t"),
                {"t": NOW - dt.timedelta(days=3)},
            )
        else:
            conn.execute(sa.text("UPDATE integration_connections SET status = 'disconnected'"))
    cards = refresh(engine, spec)
    unfinished = cards[("acme-roofing", "requests_received", W3)]
    assert (unfinished["visibility"], unfinished["visibility_reason"]) == ("hidden", reason)
    final = cards[("acme-roofing", "requests_received", W2)]
    assert final["visibility"] == ("hidden" if reason == "not_connected" else "visible")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE data_import_batches SET rows_failed = 0"))
        conn.execute(
            sa.text(
                "UPDATE integration_connections "
                "SET status = 'connected', last_successful_sync_at = :t"
            ),
            {"t": NOW},
        )
    assert refresh(engine, spec)[("acme-roofing", "requests_received", W3)]["visibility"] == (
        "caveated"
    )


def test_an_open_incident_caveats_unfinished_cards(engine, make_spec) -> None:
    spec = portal_spec(make_spec)
    load(engine, spec, STANDARD)
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
    card = refresh(engine, spec)[("acme-roofing", "requests_received", W3)]
    assert card["visibility"] == "caveated" and "delayed or has a problem" in card["caveat"]


def test_the_portal_feed_never_holds_a_hidden_card(engine, make_spec) -> None:
    spec = portal_spec(make_spec)
    load(engine, spec, STANDARD)
    build(engine, spec)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE data_import_batches SET rows_failed = rows_total"))
    cards = refresh(engine, spec)
    hidden = {c["id"] for c in cards.values() if c["visibility"] == "hidden"}
    shown = {c["id"] for c in cards.values() if c["visibility"] != "hidden"}
    assert hidden and shown
    with engine.connect() as conn:
        feed = feed_rows(conn)
        through_view = card_rows(conn, shown_only=True)
    fed = {r["item_id"] for r in feed if r["item_type"] == "card"}
    assert fed == shown and not fed & hidden
    assert {c["id"] for c in through_view} == shown
    assert {r["visibility"] for r in feed} <= {"visible", "caveated"}


def test_a_metric_removed_from_the_spec_leaves_the_portal(engine, make_spec) -> None:
    spec = portal_spec(make_spec)
    load(engine, spec, STANDARD)
    build(engine, spec)
    fewer = make_spec(metrics=[spec.metrics[0].model_dump(exclude_defaults=True)])
    with engine.begin() as conn:
        refresh_portal_cards(conn, [fewer], NOW)
        left = {c["metric_key"] for c in feed_rows(conn) if c["item_type"] == "card"}
    assert left == {"requests_received"}
