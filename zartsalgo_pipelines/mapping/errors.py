"""Errors that stop a batch (as opposed to row failures, which are dead-lettered)."""

from typing import ClassVar

from zartsalgo_pipelines.errors import ZartsalgoError


class SchemaLevelError(ZartsalgoError):
    """The export as a whole does not fit the field map (e.g. a required column is absent)."""

    retryable: ClassVar[bool] = False  # the export or the spec must change first
