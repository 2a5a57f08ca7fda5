"""Scenario: deliveries that arrive while a webhook run is queued join that run. With the shipped
definitions and a real Dagster instance, on SQLite and MySQL: the first stored delivery's
sensor tick requests a run, which waits in the instance (a run record with the request's tags
that has not started: a QUEUED record needs a code location, and NOT_STARTED counts the same);
each of the next deliveries is followed by a tick that requests nothing and names that run.
When the run executes, its one webhook batch accounts every delivery exactly once, and the
next tick finds nothing waiting. Once the run has begun, a new delivery gets a run of its own."""

import json

import dagster as dg
import sqlalchemy as sa
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run

from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines.storage.deliveries import store_delivery
from zartsalgo_pipelines_tests.helpers import count, quote

PROVIDER = "quote_request"
DELIVERIES = 6
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def tick(definitions: dg.Definitions, instance: dg.DagsterInstance, db_url: str) -> dg.SensorResult:
    sensor = definitions.resolve_sensor_def(f"{PROVIDER}_webhook_deliveries")
    context = dg.build_sensor_context(
        instance=instance, resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)}
    )
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def deliver(engine: sa.Engine, number: int) -> None:
    body = json.dumps({"type": "quote_request.created", "data": quote(number)}).encode()
    assert store_delivery(engine, PROVIDER, f"msg_{number}", body)


def test_deliveries_arriving_while_a_run_is_queued_join_it(
    definitions: dg.Definitions, instance: dg.DagsterInstance, engine: sa.Engine, db_url: str
) -> None:
    job = definitions.resolve_job_def(f"{PROVIDER}_webhook_ingest")
    deliver(engine, 1)
    [request] = tick(definitions, instance, db_url).run_requests
    queued = instance.create_run_for_job(
        job,
        run_config=QUIET,
        tags={**job.tags, **request.tags},
        status=dg.DagsterRunStatus.NOT_STARTED,
    )
    for number in range(2, DELIVERIES + 1):
        deliver(engine, number)
        waiting = tick(definitions, instance, db_url)
        assert not waiting.run_requests
        assert waiting.skip_reason is not None
        assert waiting.skip_reason.skip_message.startswith(
            f"{number} webhook deliveries wait; run {queued.run_id} has not begun"
        )

    # What a run worker does with the dequeued run.
    assert execute_run(InMemoryJob(job), queued, instance).success

    with engine.connect() as conn:
        batches = conn.execute(
            sa.text("SELECT rows_total, rows_created FROM data_import_batches")
        ).all()
    assert [tuple(b) for b in batches] == [(DELIVERIES, DELIVERIES)]
    assert count(engine, "data_import_rows") == DELIVERIES
    assert count(engine, "integration_webhook_deliveries", "WHERE processed_at IS NOT NULL") == (
        DELIVERIES
    )
    assert count(engine, "quote_requests") == DELIVERIES
    done = tick(definitions, instance, db_url)
    assert done.skip_reason is not None
    assert done.skip_reason.skip_message == "no webhook delivery waiting"

    deliver(engine, DELIVERIES + 1)  # the queued run has run: a new delivery gets a new run
    assert len(tick(definitions, instance, db_url).run_requests) == 1
