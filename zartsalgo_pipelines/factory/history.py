"""Hand-made batches in Dagster's asset history: a manual entry or a replay is reported as a
materialization of ``<provider>/mapped_records``, like every batch a sync writes.

The Dagster jobs log it in their run. The `zartsalgo` CLI runs outside Dagster and reports a
runless event to the instance the UI reads: ``DAGSTER_HOME``, else the local ``.dagster_home/``
that `python3 dev.py start` creates. With neither there is no history to add to; the batch is
in the database all the same (`zartsalgo status`, the portal), and the CLI says so.
"""

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.storage.import_batches import BatchReview


def batch_materialization(review: BatchReview, **extra: str) -> dg.AssetMaterialization:
    """The materialization of `mapped_records` that stands for one hand-made batch."""
    return dg.AssetMaterialization(
        asset_key=dg.AssetKey([review.provider_key, "mapped_records"]),
        description=f"{review.source_kind} batch {review.batch_id}",
        metadata={**review.as_metadata(), **extra},
    )


@dataclass(frozen=True)
class HistoryReport:
    """Whether the batch reached Dagster's asset history, and where (or why not)."""

    reported: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"reported": self.reported, "detail": self.detail}


def instance_home() -> Path | None:
    """The folder of the Dagster instance to report to, None when there is none."""
    home = settings.dagster_home()
    if settings.dagster_home_is_set() or (home / "dagster.yaml").is_file():
        return home
    return None


def report_batch(review: BatchReview, **extra: str) -> HistoryReport:
    """Report ``review`` as a runless materialization to the local Dagster instance."""
    home = instance_home()
    asset = f"{review.provider_key}/mapped_records"
    if home is None:
        return HistoryReport(
            False,
            f"not added to {asset}'s history in Dagster: no instance here (DAGSTER_HOME is "
            "unset and `python3 dev.py start` has not created .dagster_home/)",
        )
    if not home.is_dir():
        return HistoryReport(
            False,
            f"not added to {asset}'s history in Dagster: DAGSTER_HOME {home} is not a folder",
        )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.report_runless_asset_event(batch_materialization(review, **extra))
    return HistoryReport(True, f"added to {asset}'s history in Dagster ({home})")
