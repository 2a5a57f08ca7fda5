"""The incremental cursor: the value a request sends on a first sync, after a stored mark (minus
the lookback), on a full resync, as epoch milliseconds and as an integer; the first request of
an extract sends it only for an incremental source (``start_value``)."""

from typing import Any

import pytest

from zartsalgo_pipelines.sources.rest import cursor_to_send, start_value
from zartsalgo_pipelines.specs.rest import IncrementalSpec


@pytest.mark.parametrize(
    ("incremental", "stored", "full", "expected"),
    [
        (
            {"cursor_path": "u", "initial_value": "2024-01-01T00:00:00Z", "param": "since"},
            None,
            False,
            "2024-01-01T00:00:00Z",
        ),
        (
            {
                "cursor_path": "u",
                "initial_value": "2024-01-01T00:00:00Z",
                "param": "since",
                "lookback_seconds": 300,
            },
            "2026-11-20T10:00:00Z",
            False,
            "2026-11-20T09:55:00Z",
        ),
        (
            {"cursor_path": "u", "initial_value": "2024-01-01T00:00:00Z", "param": "since"},
            "2026-11-20T10:00:00Z",
            True,
            "2024-01-01T00:00:00Z",
        ),
        (
            {
                "cursor_path": "u",
                "initial_value": "2024-01-01T00:00:00Z",
                "param": "s",
                "send_as": "epoch_milliseconds",
            },
            "2026-11-20T10:00:00+01:00",
            False,
            1795165200000,
        ),
        (
            {
                "cursor_path": "u",
                "cursor_type": "integer",
                "initial_value": "0",
                "param": "s",
                "send_as": "integer",
                "lookback_seconds": 10,
            },
            "1500",
            False,
            1490,
        ),
    ],
    ids=["initial", "stored-minus-lookback", "full-resync", "epoch-ms", "integer"],
)
def test_the_incremental_value_sent(
    incremental: dict[str, Any], stored: str | None, full: bool, expected: str | int
) -> None:
    spec = IncrementalSpec.model_validate(incremental)
    assert cursor_to_send(spec, stored, full_resync=full) == expected
    assert start_value(spec, stored, full_resync=full) == expected


def test_a_source_that_is_not_incremental_sends_no_start_value() -> None:
    assert start_value(None, "2026-11-20T10:00:00Z") is None
