"""Scenario: client metrics are computed per client and period in the provider's time zone from
stored records, each against its declared baseline, with honest statuses: an unfinished period
is `in_progress` (never a trend), a rate over fewer records than `min_sample` is `too_few` (a
count but no rate), empty periods are `no_data`, a missing baseline is `no_baseline` with the
reason, a change within chance is `steady`, and nothing is ever NaN or Infinity. Next actions
fill {current}/{baseline}/{change_pct}/{period}; a metric without
next_actions uses the defaults. Final periods (older than restate_days) are never rewritten."""

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.proof.metrics import compute_metric, refresh_client_metrics
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.metrics import DEFAULT_NEXT_ACTIONS, TREND_STATUSES
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.helpers import DROP, count, quote

# Weeks start Monday 00:00 Europe/Berlin (UTC+1 in November).
W1 = dt.date(2026, 11, 2)
W2 = dt.date(2026, 11, 9)
W3 = dt.date(2026, 11, 16)
AFTER_W3 = dt.datetime(2026, 11, 23, 12, 0)  # naive UTC, Monday of the week after W3
_IDS = itertools.count(1)  # external ids unique across loads (a reused id is an update)


def at(day: dt.date, hour: int = 10) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def metric(**changes: Any) -> dict[str, Any]:
    base = {
        "key": "requests",
        "label": "Quote requests received",
        "source": "Website form",
        "period": "week",
        "unit": "requests",
        "client_meaning": "How many people asked for a quote.",
        "measure": "count",
        "time_field": "submitted_at",
    }
    return base | changes


def load(engine: sa.Engine, spec: ProviderSpec, records: list[dict[str, Any]]) -> None:
    for record in records:
        record["id"] = f"QR-{next(_IDS):06d}"
    rows = [SourceRow("m.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "m.jsonl"), rows)


def week(engine: sa.Engine, spec: ProviderSpec, start: dt.date, n: int, **changes: Any) -> None:
    load(
        engine,
        spec,
        [quote(0, submitted_at=at(start + dt.timedelta(days=i % 5)), **changes) for i in range(n)],
    )


def cards_of(engine: sa.Engine, spec: ProviderSpec, now: dt.datetime = AFTER_W3) -> dict:
    with engine.connect() as conn:
        found = compute_metric(conn, spec, spec.metrics[0], now)
    return {(c.client_key, c.period_start): c for c in found}


@pytest.fixture
def spec_with(make_spec: Callable[..., ProviderSpec]) -> Callable[..., ProviderSpec]:
    def build(**changes: Any) -> ProviderSpec:
        return make_spec(metrics=[metric(**changes)])

    return build


def test_counts_against_the_previous_week_with_the_filled_next_action(engine, spec_with) -> None:
    spec = spec_with(
        next_actions={"improving": "{current} in the {period}, up {change_pct} on {baseline}"},
    )
    load(
        engine,
        spec,
        [quote(0, submitted_at=at(W2)) for _ in range(2)]
        + [quote(0, submitted_at=at(W3)) for _ in range(12)],
    )
    found = cards_of(engine, spec)
    first, second = found[("acme-roofing", W2)], found[("acme-roofing", W3)]
    assert (first.current_value, first.baseline_value, first.status) == (2, None, "no_baseline")
    assert first.no_baseline_reason == "first_period"
    assert (second.current_value, second.baseline_value, second.change_abs) == (12, 2, 10)
    assert second.change_pct == Decimal("500.0000") and second.status == "improving"
    assert second.p_value is not None and second.p_value < 0.05
    assert (
        second.next_action == "12 requests in the week of 16 November 2026, up 500.0% on 2 requests"
    )
    assert second.baseline_kind == "previous_period" and second.is_final is False


def test_periods_follow_the_declared_time_zone(engine, spec_with) -> None:
    spec = spec_with()
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin: the next week there.
    load(engine, spec, [quote(0, submitted_at="2026-11-15T23:30:00Z")])
    assert ("acme-roofing", W3) in cards_of(engine, spec)
    utc = spec_with(timezone="UTC")
    assert ("acme-roofing", W2) in cards_of(engine, utc)


def test_a_partial_period_never_gets_a_trend_status(engine, spec_with) -> None:
    spec = spec_with()
    week(engine, spec, W2, 11)
    load(engine, spec, [quote(0, submitted_at=at(W3, 0))])

    @hypothesis.settings(max_examples=40, deadline=None)
    @hypothesis.given(minutes=st.integers(min_value=0, max_value=7 * 24 * 60 - 61))
    def inside_w3(minutes: int) -> None:
        # Any moment of W3 in Berlin: from Monday 00:00 local (Sunday 23:00 UTC) on.
        now = dt.datetime(2026, 11, 15, 23, 0) + dt.timedelta(minutes=minutes + 60)
        card = cards_of(engine, spec, now)[("acme-roofing", W3)]
        assert card.status == "in_progress"
        assert card.change_abs is None and card.change_pct is None

    inside_w3()
    ended = cards_of(engine, spec, dt.datetime(2026, 11, 22, 23, 0))[("acme-roofing", W3)]
    assert ended.status in TREND_STATUSES  # the same week once it is over


@pytest.mark.parametrize("records", [1, 6, 9])
def test_a_small_sample_never_gets_a_rate(engine, spec_with, records: int) -> None:
    spec = spec_with(measure="share_present", field="contact_email", unit="percent", min_sample=10)
    week(engine, spec, W2, 20)
    week(engine, spec, W3, records)
    card = cards_of(engine, spec)[("acme-roofing", W3)]
    assert card.status == "too_few" and card.sample_size == records
    assert card.current_value is None and card.change_pct is None and card.change_abs is None


def test_empty_weeks_are_no_data_and_a_zero_baseline_is_no_infinity(engine, spec_with) -> None:
    spec = spec_with()
    week(engine, spec, W1, 2)
    week(engine, spec, W3, 3)  # nothing in W2
    found = cards_of(engine, spec)
    assert found[("acme-roofing", W2)].status == "no_data"
    after_empty = found[("acme-roofing", W3)]
    assert (after_empty.baseline_value, after_empty.change_abs) == (0, 3)
    # 3 against 0 happens by chance 1 time in 4: a zero baseline is no trend by itself
    assert after_empty.change_pct is None and after_empty.status == "steady"


def test_an_empty_share_period_is_no_data_not_nan(engine, spec_with) -> None:
    spec = spec_with(measure="share_present", field="contact_email", unit="percent")
    week(engine, spec, W1, 2)
    week(engine, spec, W3, 2)
    card = cards_of(engine, spec)[("acme-roofing", W2)]
    assert card.status == "no_data" and card.current_value is None


def test_a_metric_without_next_actions_computes_with_the_defaults(engine, spec_with) -> None:
    spec = spec_with()
    assert spec.metrics[0].next_actions == {}
    week(engine, spec, W1, 3)
    week(engine, spec, W2, 1)
    week(engine, spec, W3, 14)
    with engine.begin() as conn:
        written = refresh_client_metrics(conn, spec, AFTER_W3 + dt.timedelta(days=2))
    statuses = {c.status: c.next_action for c in written}
    assert set(statuses) == {"no_baseline", "steady", "improving", "in_progress"}
    for status, action in statuses.items():
        assert action == DEFAULT_NEXT_ACTIONS[status]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {
                "measure": "share_matching",
                "field": "status",
                "matching": ["won"],
                "unit": "percent",
                "min_sample": 1,
            },
            Decimal("25"),
        ),
        ({"measure": "sum", "field": "budget_amount", "unit": "EUR"}, Decimal("4802")),
        (
            {"measure": "average", "field": "budget_amount", "unit": "EUR", "min_sample": 1},
            Decimal("1200.5"),
        ),
        ({"filter": {"field": "status", "values": ["won"]}}, Decimal("1")),
        ({"filter": {"field": "contact_email", "present": False}}, Decimal("2")),
    ],
)
def test_measures_and_filters(engine, spec_with, changes: dict, expected: Decimal) -> None:
    spec = spec_with(**changes)
    load(
        engine,
        spec,
        [
            quote(0, submitted_at=at(W3), status="won"),
            quote(0, submitted_at=at(W3), contact__email=DROP),
            quote(0, submitted_at=at(W3), contact__email=DROP),
            quote(0, submitted_at=at(W3), budget__amount=1200.5),
        ],
    )
    assert cards_of(engine, spec)[("acme-roofing", W3)].current_value == expected


@pytest.mark.parametrize(
    ("baseline", "expected"),
    [
        ({"kind": "previous_period"}, Decimal(7)),
        ({"kind": "trailing_median", "periods": 3}, Decimal(5)),
        ({"kind": "launch", "launch_period": "2026-10-20"}, Decimal(2)),
    ],
)
def test_declared_baselines(engine, spec_with, baseline: dict, expected: Decimal) -> None:
    spec = spec_with(baseline=baseline)
    for start, n in [(dt.date(2026, 10, 19), 2), (dt.date(2026, 10, 26), 5), (W1, 3), (W2, 7)]:
        week(engine, spec, start, n)
    week(engine, spec, W3, 4)
    card = cards_of(engine, spec)[("acme-roofing", W3)]
    assert (card.baseline_kind, card.baseline_value) == (baseline["kind"], expected)


def test_same_week_last_year_and_a_target(engine, spec_with) -> None:
    spec = spec_with(baseline={"kind": "same_period_last_year"})
    week(engine, spec, W3 - dt.timedelta(days=364), 12)
    week(engine, spec, W3, 2)
    card = cards_of(engine, spec)[("acme-roofing", W3)]
    assert (card.baseline_value, card.status) == (12, "declining")
    goal = spec_with(target=2)
    card = cards_of(engine, goal)[("acme-roofing", W3)]
    assert (card.baseline_kind, card.baseline_value, card.status) == ("target", 2, "on_target")
    assert cards_of(engine, spec_with(target=5))[("acme-roofing", W3)].status == "off_target"


def test_final_periods_are_rewritten_only_when_a_later_batch_adds_to_them(
    engine, spec_with
) -> None:
    """A final value stays as the client saw it through every refresh; records a later batch
    adds to its period (a replay, a manual entry of what was missing) reopen it, or the final
    number would stay short of its data for good (review of issue 19)."""
    spec = spec_with(restate_days=3)
    week(engine, spec, W2, 2)
    week(engine, spec, W3, 2)
    late = AFTER_W3 + dt.timedelta(days=10)
    with engine.begin() as conn:
        refresh_client_metrics(conn, spec, late)
        again = refresh_client_metrics(conn, spec, late)
    assert W2 not in {c.period_start for c in again}  # final and unchanged: not rewritten
    week(engine, spec, W2, 5)  # late records for a final week, in a batch of their own
    with engine.begin() as conn:
        written = refresh_client_metrics(conn, spec, late)
        stored = conn.execute(
            sa.text("SELECT current_value, is_final FROM client_metrics WHERE period_start = :p"),
            {"p": W2},
        ).one()
    assert (Decimal(stored.current_value), bool(stored.is_final)) == (7, True)
    assert W2 in {c.period_start for c in written}
    assert count(engine, "client_metrics") == 4  # W2, W3, an empty week, `late`'s week


def test_launch_baseline_defaults_to_the_first_complete_period_after_go_live(
    engine, spec_with
) -> None:
    spec = spec_with(baseline={"kind": "launch"})
    for start, n in [(W1, 2), (W2, 6), (W3, 4)]:
        week(engine, spec, start, n)
    live = dt.datetime(2026, 11, 4, 9, 0)  # marked live inside W1: W2 is the launch week
    with engine.connect() as conn:
        cards = {
            c.period_start: c for c in compute_metric(conn, spec, spec.metrics[0], AFTER_W3, live)
        }
    assert (cards[W3].baseline_kind, cards[W3].baseline_value) == ("launch", 6)
    assert cards[W2].status == "no_baseline"  # the launch week is not compared with itself


def test_a_record_from_long_ago_does_not_fill_a_century_of_periods(engine, spec_with) -> None:
    """Review of issue 19: one record dated 1900 made 6,624 weekly cards for one client."""
    spec = spec_with()
    load(engine, spec, [quote(0, submitted_at="1900-01-01T10:00:00Z")])
    week(engine, spec, W3, 3)
    periods = {c.period_start for c in cards_of(engine, spec).values()}
    assert min(periods) >= (AFTER_W3 - dt.timedelta(days=800)).date() - dt.timedelta(days=7)
    assert len(periods) <= 800 // 7 + 2
