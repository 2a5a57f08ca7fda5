"""The source part of a spec: a file export or a REST API (``specs/rest.py``), by ``kind``."""

from typing import Annotated, Any, Literal

import pydantic

from zartsalgo_pipelines.specs.rest import RestSource
from zartsalgo_pipelines.specs.types import Frozen


class FileSource(Frozen):
    """A provider export on disk: CSV, a JSON array or JSON lines, by path or glob."""

    kind: Literal["file"] = "file"
    path: str = pydantic.Field(
        min_length=1, description="Path or glob, relative to the spec's folder."
    )
    format: Literal["csv", "json", "jsonl"]
    encoding: str = "utf-8"


def _source_kind(value: Any) -> str:
    # `kind` may be left out for a file source (specs written before REST sources existed).
    kind = value.get("kind", "file") if isinstance(value, dict) else getattr(value, "kind", "")
    return str(kind)


Source = Annotated[
    Annotated[FileSource, pydantic.Tag("file")] | Annotated[RestSource, pydantic.Tag("rest_api")],
    pydantic.Discriminator(_source_kind),
]
