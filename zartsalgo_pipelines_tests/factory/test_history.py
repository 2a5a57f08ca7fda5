"""Scenario: which Dagster instance a hand-made batch is reported to. DAGSTER_HOME when it is
set; else the `.dagster_home/` that `python3 dev.py start` creates, when it holds its
dagster.yaml; else none, and the report says so instead of creating an instance somewhere."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.factory.history import report_batch
from zartsalgo_pipelines.storage.import_batches import BatchReview

REVIEW = BatchReview(7, "quote_request", "manual", "succeeded", 2, 1, 0, 1, 0, 0)


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout with no DAGSTER_HOME in the environment."""
    monkeypatch.delenv(settings.DAGSTER_HOME_ENV, raising=False)
    monkeypatch.setattr(settings, "REPOSITORY_DIR", tmp_path)
    return tmp_path


def reported(home: Path) -> list[str | None]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(
            dg.AssetKey(["quote_request", "mapped_records"]), limit=5
        ).records
    return [r.asset_materialization.description for r in records if r.asset_materialization]


def test_without_an_instance_nothing_is_created_and_the_report_says_why(repository) -> None:
    report = report_batch(REVIEW, entered_by="ana")
    assert report.reported is False
    assert "no instance here (DAGSTER_HOME is unset" in report.detail
    assert not (repository / ".dagster_home").exists()


def test_the_local_instance_of_dev_py_start_is_used(repository) -> None:
    home = repository / ".dagster_home"
    home.mkdir()
    shutil.copyfile(Path(__file__).parents[2] / "dagster.yaml", home / "dagster.yaml")
    report = report_batch(REVIEW, entered_by="ana")
    assert report.reported is True and str(home) in report.detail
    assert reported(home) == ["manual batch 7"]


def test_dagster_home_wins_and_a_missing_folder_is_named(repository, monkeypatch) -> None:
    chosen = repository / "elsewhere"
    monkeypatch.setenv(settings.DAGSTER_HOME_ENV, str(chosen))
    missing = report_batch(REVIEW)
    assert missing.reported is False and f"DAGSTER_HOME {chosen} is not a folder" in missing.detail
    chosen.mkdir()
    assert report_batch(REVIEW).reported is True
    assert reported(chosen) == ["manual batch 7"]
