"""The set-based writes of one chunk, one module per table family; ``storage.chunks`` runs them.

Each function writes in the caller's transaction with one bulk statement per table (MySQL loads
a file past ``mysql_bulk.BULK_MIN_ROWS`` rows); none issues a statement per row.
"""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from zartsalgo_pipelines.mapping.apply import MappedChunk
from zartsalgo_pipelines.specs.models import ProviderSpec


class ChunkWrite(NamedTuple):
    """What every write of one chunk shares: whose rows, which batch, the chunk, when."""

    spec: ProviderSpec
    batch_id: int
    first_row_number: int  # the batch's row number of the chunk's first row
    chunk: MappedChunk
    now: dt.datetime


@dataclass(frozen=True)
class NewIds:
    """The ids a chunk's new records and their external objects got, proven consecutive in
    the order both files were written (``mysql_bulk.loaded_ids``): line k of each is a pair."""

    records_first: int
    objects_first: int
    count: int
