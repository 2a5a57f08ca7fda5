"""The Dagster side of the crash sweep: who owns a batch in this run, and whether a run lives."""

from typing import TypedDict

import dagster as dg

from zartsalgo_pipelines.owners import BatchOwner, RunIsAlive


def run_liveness(instance: dg.DagsterInstance) -> RunIsAlive:
    """``run_id -> False`` once the instance records the run as finished (success, failure,
    canceled). A run this instance does not know is not proven dead: the sweep then relies
    on the process check and the batch timeout."""

    def run_is_alive(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id)
        return run is None or not run.is_finished

    return run_is_alive


def run_owner(context: dg.AssetExecutionContext) -> BatchOwner:
    """This step's process, owning batches on behalf of the run."""
    return BatchOwner.this_process(run_id=context.run.run_id)


class Ownership(TypedDict):
    """The keyword arguments every extract and ingest function takes for the crash sweep."""

    owner: BatchOwner
    run_is_alive: RunIsAlive


def ownership(context: dg.AssetExecutionContext) -> Ownership:
    return {"owner": run_owner(context), "run_is_alive": run_liveness(context.instance)}
