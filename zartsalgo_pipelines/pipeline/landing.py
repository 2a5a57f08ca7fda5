"""Landing folders: ``<data>/landing/<provider>/batch-<id>-<token>/``, one per batch.

The token is stored with the batch and is unique across databases, so two databases sharing
one data folder never meet in a folder; a folder is created exclusively and never reused.
"""

import shutil
from pathlib import Path
from typing import ClassVar

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.errors import ZartsalgoError


class LandingExistsError(ZartsalgoError, FileExistsError):
    """A batch's landing folder exists already: it belongs to something else, never reuse it."""

    retryable: ClassVar[bool] = True  # a new batch lands in a folder of its own


def landing_dir(provider_key: str, batch_id: int, token: str | None) -> Path:
    """The batch's folder; batches landed before tokens existed (token None) keep their name."""
    name = f"batch-{batch_id}-{token}" if token else f"batch-{batch_id}"
    return settings.data_dir() / "landing" / provider_key / name


def create_landing_dir(path: Path) -> Path:
    """Create ``path`` exclusively; ``LandingExistsError`` if anything is there already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir()
    except FileExistsError:
        raise LandingExistsError(
            f"landing folder {path.parent.name}/{path.name} exists already; a landing folder "
            "belongs to exactly one batch and is never reused"
        ) from None
    return path


def remove_landing(provider_key: str, batch_id: int, token: str | None) -> None:
    """Delete a failed batch's landing folder (whole or partial); it is never read again."""
    if token:
        shutil.rmtree(landing_dir(provider_key, batch_id, token), ignore_errors=True)
