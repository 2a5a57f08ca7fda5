"""Scenario: failed rows are placed in the client periods they belong to, read from their own
payloads with the spec's source paths: a row with a readable client and time in its own
period, one without a readable time over its client's periods in proportion to the records
each holds; one without a readable client belongs to no client's numbers (the owner sees it
with the dead letters), and one dated at the calendar's edge (year 9999, year 1) is unreadable,
not a crash. Nothing is counted twice: whatever the payloads, the placed amounts add up to the
failed rows that had a period of their client to go to (property-based)."""

import datetime as dt
from collections import Counter
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest

from zartsalgo_pipelines.proof.attribution import attribute_failures
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.conftest import shipped_attributes
from zartsalgo_pipelines_tests.helpers import quote

W1, W2 = dt.date(2026, 11, 9), dt.date(2026, 11, 16)
CELLS = {("acme", W1), ("acme", W2), ("casa", W2)}
RECORDS = Counter({("acme", W1): 30, ("acme", W2): 10, ("casa", W2): 60})


@pytest.fixture
def spec(make_spec) -> ProviderSpec:
    return make_spec()


def failed(client: Any, submitted_at: Any) -> dict[str, Any]:
    return quote(1, client__slug=client, submitted_at=submitted_at, contact__email="bad")


def test_each_failed_row_goes_where_it_belongs(spec: ProviderSpec) -> None:
    metric = spec.metrics[0]  # weekly, by submitted_at, Europe/Berlin
    payloads = [
        failed("acme", "2026-11-17T10:00:00Z"),  # acme's week of 16 November
        failed(" acme ", "2026-11-15T23:30:00Z"),  # Monday 00:30 in Berlin: the same week
        failed("acme", "9999-12-31T23:30:00Z"),  # the calendar's edge: time unreadable
        failed("casa", "31/02/2026 25:61"),  # casa, time unreadable: casa's weeks
        failed({"slug": 1}, "2026-11-17T10:00:00Z"),  # no client: no client's numbers
        failed("   ", "2026-11-17T10:00:00Z"),  # a blank client: no client's numbers either
    ]
    placed = attribute_failures(spec, metric, payloads, RECORDS, CELLS)
    # acme: two in the week of 16 November, the unreadable one spread 30:10 over its weeks
    assert placed[("acme", W2)] == pytest.approx(2 + 0.25)
    assert placed[("acme", W1)] == pytest.approx(0.75)
    assert placed[("casa", W2)] == pytest.approx(1.0)
    assert sum(placed.values()) == pytest.approx(4)


clients = st.sampled_from(["acme", " casa", "other", "", None, 7, {"x": 1}])
times = st.sampled_from(
    [
        "2026-11-10T10:00:00Z",
        "2026-11-17T08:00:00+01:00",
        "2026-11-30T10:00:00Z",
        "nope",
        None,
        5,
        "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:30:00Z",
    ]
)
WEEKS = {"2026-11-10T10:00:00Z": W1, "2026-11-17T08:00:00+01:00": W2, "2026-11-30T10:00:00Z": None}
# The calendar's edges ("0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00Z") overflow when put in
# UTC or Berlin: unreadable times, so they are not in WEEKS.


def goes_somewhere(client: Any, moment: Any) -> bool:
    """Whether a failed row has an open week to go to (the rule, written out plainly)."""
    if isinstance(client, bool) or not isinstance(client, str | int) or not str(client).strip():
        return False  # no client: no client's numbers
    name = str(client).strip()
    if moment not in WEEKS:
        return any(c == name for c, _ in CELLS)  # no time: spread over the client's weeks
    return (name, WEEKS[moment]) in CELLS


SPEC = ProviderSpec.model_validate(shipped_attributes())


@hypothesis.given(letters=st.lists(st.tuples(clients, times), max_size=30))
@hypothesis.settings(deadline=None)
def test_nothing_is_counted_twice(letters) -> None:
    payloads = [failed(c, t) for c, t in letters]
    placed = attribute_failures(SPEC, SPEC.metrics[0], payloads, RECORDS, CELLS)
    assert set(placed) <= CELLS and all(v >= 0 for v in placed.values())
    expected = sum(goes_somewhere(c, t) for c, t in letters)
    assert sum(placed.values()) == pytest.approx(expected)
