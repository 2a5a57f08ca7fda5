"""The provider component: one ``defs.yaml`` per provider under ``zartsalgo_pipelines/defs/``.

Departure from ``dg.Resolvable``, on purpose: the attributes are validated by the plain pydantic
``ProviderSpec`` (returned from ``get_model_cls``), so a bad spec is refused with the file, line,
field path, bad value and expected values, instead of Resolvable's template-union noise; and the
same model publishes the JSON Schema in docs/ and is used by the CLI and tests without Dagster.
"""

from pathlib import Path
from typing import Any

import dagster as dg

from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
from zartsalgo_pipelines.specs.models import ProviderSpec

TEMPLATE = """\
type: zartsalgo_pipelines.factory.component.ProviderComponent
attributes:
  key: {key}
  display_name: {key}
  status: planned
  owner: data-team@zartsalgo.example
  reason: Explain why ZartsAlgo connects this provider and what the client gets from it.
  object_type: quote_request
  auth: {{model: none, scopes: [], credentials: {{}}}}
  source: {{kind: file, path: exports/*.jsonl, format: jsonl}}
  fields:
    - {{source: id, target: external_id, type: string, required: true, label: ID}}
    - {{source: client, target: client_key, type: string, required: true, label: Client}}
    - {{source: created_at, target: submitted_at, type: datetime, required: true, label: Received}}
    - {{source: status, target: status, type: category, required: true, label: Status,
        values: {{new: new}}}}
"""


class ProviderScaffolder(dg.Scaffolder):
    """`dg scaffold defs zartsalgo_pipelines.factory.component.ProviderComponent <key>`."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        key = request.target_path.name
        request.target_path.mkdir(parents=True, exist_ok=True)
        (request.target_path / "defs.yaml").write_text(TEMPLATE.format(key=key))


@dg.scaffold_with(ProviderScaffolder)
class ProviderComponent(dg.Component):
    """A ZartsAlgo provider connection: four assets, field-map checks, a sync job and a
    stale-sync sensor, all from one declarative spec."""

    def __init__(self, spec: ProviderSpec) -> None:
        self.spec = spec

    @classmethod
    def get_model_cls(cls) -> type[ProviderSpec]:
        return ProviderSpec

    @classmethod
    def load(cls, attributes: Any, context: dg.ComponentLoadContext) -> "ProviderComponent":
        spec = (
            attributes
            if isinstance(attributes, ProviderSpec)
            else ProviderSpec.model_validate(attributes)
        )
        return cls(spec)

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return build_provider_defs(self.spec, Path(context.path))
