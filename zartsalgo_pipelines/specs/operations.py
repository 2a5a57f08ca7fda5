"""How a provider is operated: its schedule, its sync's retries and when its owner is alerted."""

from typing import Annotated, Literal

import pydantic

from zartsalgo_pipelines.specs.types import Frozen, Identifier, check_timezone


def _check_cron(expression: str) -> str:
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError("a cron expression has five fields: minute hour day month weekday")
    return expression


class ScheduleSpec(Frozen):
    """When the provider's sync runs on its own; paused or disconnected providers never run."""

    cron: Annotated[str, pydantic.AfterValidator(_check_cron)] = pydantic.Field(
        description="Five-field cron expression, e.g. `0 6 * * *`."
    )
    timezone: Annotated[str, pydantic.AfterValidator(check_timezone)] = "UTC"


class RetrySpec(Frozen):
    """Dagster step retries of the extract (separate from HTTP-level retries)."""

    max_retries: int = pydantic.Field(3, ge=0, le=20)
    delay_seconds: float = pydantic.Field(30, ge=0)
    backoff: Literal["linear", "exponential"] = "exponential"
    jitter: Literal["none", "full", "plus_minus"] = "plus_minus"


class AlertSpec(Frozen):
    """When the owner is alerted (each opens one incident until it clears)."""

    max_failed_share: float | None = pydantic.Field(
        None, ge=0, le=1, description="Batch failed share that opens an alert; default tolerance."
    )
    failed_batches_in_a_row: pydantic.PositiveInt = pydantic.Field(
        3, description="This many failed batches in a row open an alert."
    )
    failed_runs_in_a_row: pydantic.PositiveInt = pydantic.Field(
        3,
        description="This many failed runs in a row that materialized the provider's assets "
        "(any job) open an alert.",
    )
    max_rate_limited_minutes: pydantic.PositiveFloat = pydantic.Field(
        10, description="A sync that waited longer than this on rate limits opens an alert."
    )


class FreshnessSpec(Frozen):
    """When silence is news: a client (or the whole provider) with no new record for longer
    than its own recent rate makes likely opens a `no_new_data` incident (docs/client_proof.md).
    """

    field: Identifier | None = pydantic.Field(
        None,
        description="Date or datetime target whose newest value is when the latest record "
        "arrived (the provider's own time); default the first metric's time_field.",
    )
    lookback_days: int = pydantic.Field(
        56, ge=7, le=366, description="The usual rate is read from this many days of records."
    )
    delay_hours: pydantic.NonNegativeFloat | None = pydantic.Field(
        None,
        description="How long a new record may take to reach ZartsAlgo (a nightly export: up "
        "to a day); default stale_after_hours.",
    )
    confidence: float = pydantic.Field(
        0.99,
        ge=0.9,
        le=0.9999,
        description="Silence is news once chance explains it less often than 1 - confidence.",
    )
