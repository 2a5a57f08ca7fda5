"""Reading provider specs from the defs folder without Dagster (for the CLI and scripts).

Dagster's loader (``definitions.py``) and this one validate with the same ``ProviderSpec``;
this one uses PyYAML's C loader and reports a refused spec with its file and field path.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import yaml

from zartsalgo_pipelines.settings import DEFS_DIR
from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines.specs.models import ProviderSpec

COMPONENT_TYPE = "zartsalgo_pipelines.factory.component.ProviderComponent"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LoadedSpec:
    spec: ProviderSpec
    folder: Path  # relative source paths resolve against it


def load_spec_file(path: Path) -> LoadedSpec:
    """Validate one ``defs.yaml``; ProviderSpecError names the file and every bad field."""
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    if not isinstance(document, dict) or document.get("type") != COMPONENT_TYPE:
        raise ProviderSpecError(f"{path}: `type` must be {COMPONENT_TYPE}")
    try:
        spec = ProviderSpec.model_validate(document.get("attributes"))
    except pydantic.ValidationError as error:
        lines = [_describe(path, e) for e in error.errors()]
        raise ProviderSpecError("Provider spec refused:\n" + "\n".join(lines)) from None
    return LoadedSpec(spec, path.parent)


def _describe(path: Path, error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    got = "" if isinstance(error["input"], dict) else f" (got {error['input']!r})"
    return f"{path}: attributes.{where}: {error['msg']}{got}"


def load_specs(defs_dir: Path = DEFS_DIR) -> dict[str, LoadedSpec]:
    """Every provider spec under ``defs_dir``, by provider key."""
    found: dict[str, LoadedSpec] = {}
    for path in sorted(defs_dir.glob("*/defs.yaml")):
        loaded = load_spec_file(path)
        if loaded.spec.key in found:
            raise ProviderSpecError(f"{path}: provider key `{loaded.spec.key}` is used twice")
        found[loaded.spec.key] = loaded
    return found


def provider_spec(key: str, defs_dir: Path = DEFS_DIR) -> LoadedSpec:
    """One provider's spec by key; ProviderSpecError names the known keys when it is unknown."""
    specs = load_specs(defs_dir)
    if key not in specs:
        raise ProviderSpecError(f"unknown provider `{key}`; known: {', '.join(sorted(specs))}")
    return specs[key]
