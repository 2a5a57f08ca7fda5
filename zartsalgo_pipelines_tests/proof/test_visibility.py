"""Scenario: visibility decided per card. A period that ended after the last successful sync is
not shown as safe, final or not (a final number is only as complete as its data); a period
whose own rows still fail above the tolerance stays hidden once final; a client still silent
now caveats even its final periods; a connection incident and late records leave final
periods alone."""

import datetime as dt

import pytest

from zartsalgo_pipelines.proof.visibility import CellFacts, ProviderState, decide

LAST_SYNC = dt.datetime(2026, 12, 7, 20)


def provider(**changes: object) -> ProviderState:
    values: dict[str, object] = {
        "display_name": "Website quote requests",
        "spec_status": "connected",
        "connection_status": "connected",
        "live_since": dt.datetime(2026, 12, 1),
        "last_success_at": LAST_SYNC,
        "sync_stale": False,
        "incident_kinds": frozenset(),
        "tolerated_failure_share": 0.05,
        "min_rows": 20,
    }
    return ProviderState(**(values | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize("is_final", [True, False])
def test_a_period_that_ended_after_the_last_sync_is_hidden_while_the_sync_is_stale(
    is_final: bool,
) -> None:
    """Review of issue 19: a never-synced week read "0 requests", visible, once final."""
    seen = decide(
        provider(sync_stale=True),
        CellFacts(records=0),
        status="no_data",
        is_final=is_final,
        period_over_at=LAST_SYNC + dt.timedelta(days=6),
    )
    assert (seen.state, seen.reason) == ("hidden", "stale")


def test_a_final_period_whose_rows_still_fail_stays_hidden() -> None:
    seen = decide(
        provider(),
        CellFacts(records=8, failed=4),
        status="steady",
        is_final=True,
        period_over_at=LAST_SYNC - dt.timedelta(days=20),
    )
    assert (seen.state, seen.reason) == ("hidden", "data_problem")


def test_final_periods_keep_only_the_caveats_that_still_hold() -> None:
    seen = decide(
        provider(incident_kinds=frozenset({"failed_batches"})),
        CellFacts(records=20, failed=1, silent=True),
        status="steady",
        is_final=True,
        period_over_at=LAST_SYNC - dt.timedelta(days=20),
    )
    # silent now and a row still failing: said; the incident and late records: not for a final
    assert seen.caveats == ("no_new_data", "being_checked")


def test_a_fraction_of_a_row_is_no_caveat() -> None:
    """A row whose time cannot be read is spread over its client's periods; a period never
    names less than one whole row (it read "1 request ... is being checked" three times)."""
    seen = decide(
        provider(),
        CellFacts(records=30, failed=0.4),
        status="steady",
        is_final=True,
        period_over_at=LAST_SYNC - dt.timedelta(days=20),
    )
    assert seen.state == "visible"
