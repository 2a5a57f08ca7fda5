"""Reading provider specs from the defs folder without Dagster (for the CLI and scripts).

Dagster's loader (``definitions.py``) and this one validate with the same ``ProviderSpec``;
this one uses PyYAML's C loader and reports a refused spec with its file, line and field path.
"""

from dataclasses import dataclass
from pathlib import Path

import pydantic
import yaml

from zartsalgo_pipelines.settings import DEFS_DIR
from zartsalgo_pipelines.specs.errors import (
    ProviderSpecError,
    describe,
    full_loc,
    line_of,
    refusal,
    yaml_syntax_message,
    yaml_tree,
)
from zartsalgo_pipelines.specs.models import ProviderSpec

COMPONENT_TYPE = "zartsalgo_pipelines.factory.component.ProviderComponent"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LoadedSpec:
    spec: ProviderSpec
    folder: Path  # relative source paths resolve against it


def _read(path: Path) -> tuple[object, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ProviderSpecError(f"{path}: not UTF-8 text ({error.reason})") from None
    try:
        return yaml.load(text, Loader=_Loader), yaml_tree(text)
    except yaml.YAMLError as error:
        raise ProviderSpecError(yaml_syntax_message(path, error)) from None


def load_spec_file(path: Path) -> LoadedSpec:
    """Validate one ``defs.yaml``; ProviderSpecError names the file, and every bad field with
    its line and path (a YAML syntax error with its line and column)."""
    document, tree = _read(path)
    if not isinstance(document, dict) or document.get("type") != COMPONENT_TYPE:
        raise ProviderSpecError(
            f"{path}:{line_of(tree, ('type',)) or 1}: `type` must be {COMPONENT_TYPE}"
        )
    try:
        spec = ProviderSpec.model_validate(document.get("attributes"))
    except pydantic.ValidationError as error:
        lines = []
        for item in error.errors():
            loc = ("attributes", *item["loc"])
            line = line_of(tree, full_loc(item, loc)) or 1
            lines.append(describe(item, loc, f"{path}:{line}"))
        raise refusal(lines) from None
    return LoadedSpec(spec, path.parent)


def load_specs(defs_dir: Path = DEFS_DIR) -> dict[str, LoadedSpec]:
    """Every provider spec under ``defs_dir``, by provider key."""
    found: dict[str, LoadedSpec] = {}
    for path in sorted(defs_dir.glob("*/defs.yaml")):
        loaded = load_spec_file(path)
        if loaded.spec.key in found:
            line = line_of(_read(path)[1], ("attributes", "key"))
            raise ProviderSpecError(
                f"{path}:{line}: attributes.key: provider key `{loaded.spec.key}` is already "
                f"used by {found[loaded.spec.key].folder / 'defs.yaml'}"
            )
        found[loaded.spec.key] = loaded
    return found


def provider_spec(key: str, defs_dir: Path = DEFS_DIR) -> LoadedSpec:
    """One provider's spec by key; ProviderSpecError names the known keys when it is unknown."""
    specs = load_specs(defs_dir)
    if key not in specs:
        raise ProviderSpecError(f"unknown provider `{key}`; known: {', '.join(sorted(specs))}")
    return specs[key]
