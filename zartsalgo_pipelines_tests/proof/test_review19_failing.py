"""Review of issue 19 (review19): each test here FAILS on the reviewed main and names a bug.

- a dead letter whose own time is at the edge of the calendar crashes the portal refresh;
- a period that ended after the last successful sync is shown `visible` once it is final;
- a client silent for longer than the freshness lookback stops being silent;
- a trailing-median baseline calls a significant drop against the pooled baseline "improving".
"""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest

from zartsalgo_pipelines.incidents.freshness import _silence
from zartsalgo_pipelines.proof.attribution import attribute_failures
from zartsalgo_pipelines.proof.baselines import Reference
from zartsalgo_pipelines.proof.comparison import Sample
from zartsalgo_pipelines.proof.status import decide_status
from zartsalgo_pipelines.proof.visibility import CellFacts, ProviderState, decide
from zartsalgo_pipelines.specs.metrics import BaselineSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.freshness import Arrivals
from zartsalgo_pipelines_tests.helpers import quote

W = dt.date(2026, 11, 30)


@pytest.fixture
def spec(make_spec) -> ProviderSpec:
    return make_spec()


@pytest.mark.parametrize("moment", ["9999-12-31T23:30:00Z", "0001-01-01T00:30:00+01:00"])
def test_a_dead_letter_dated_at_the_calendars_edge_does_not_crash_attribution(
    spec: ProviderSpec, moment: str
) -> None:
    payload = quote(1, client__slug="acme", submitted_at=moment, status="bogus")
    placed = attribute_failures(
        spec, spec.metrics[0], [payload], 0, Counter({("acme", W): 10}), {("acme", W)}
    )
    assert placed.get(("acme", W), 0.0) == 0.0  # not this week's row


def test_a_final_period_that_ended_after_the_last_sync_is_not_shown_as_safe() -> None:
    last_sync = dt.datetime(2026, 12, 7, 20)
    provider = ProviderState(
        display_name="Website quote requests",
        spec_status="connected",
        connection_status="connected",
        live_since=dt.datetime(2026, 12, 1),
        last_success_at=last_sync,
        sync_stale=True,
        incident_kinds=frozenset(),
        tolerated_failure_share=0.05,
        min_rows=20,
    )
    seen = decide(
        provider,
        CellFacts(records=0, failed=0.0, silent=True),
        status="no_data",
        is_final=True,  # restate_days passed, but no sync ever covered the week
        period_over_at=dt.datetime(2026, 12, 13, 23),
    )
    assert seen.state != "visible", seen  # "0 requests", no caveat, for a week never synced


def test_a_silence_longer_than_the_lookback_is_still_news(spec: ProviderSpec) -> None:
    now = dt.datetime(2027, 2, 20, 12)
    newest = dt.datetime(2026, 12, 6, 10)  # a client with 12 a week, silent for 76 days
    seen = Arrivals("acme", newest, 0, None, newest)
    assert _silence(spec, "acme", seen, now).silent


def test_a_trailing_median_trend_goes_the_way_its_test_says(spec: ProviderSpec) -> None:
    metric = spec.metrics[0].model_copy(
        update={"baseline": BaselineSpec(kind="trailing_median", periods=3)}
    )
    pooled = Sample(1) + Sample(1) + Sample(100)  # weeks of 1, 1 and 100: median 1, mean 34
    judged = decide_status(
        metric,
        complete=True,
        sample=5,
        current=Decimal(5),
        current_sample=Sample(5),
        reference=Reference("trailing_median", Decimal(1), pooled, 3),
        change_pct=Decimal(400),
    )
    # p is tiny because 5 is far *below* the pooled rate of 34 a week; "improving" is wrong.
    assert judged.status != "improving", judged
