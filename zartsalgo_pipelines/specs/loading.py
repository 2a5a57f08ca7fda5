"""Reading provider specs from the defs folder, without Dagster: the one reader of a spec.

``definitions.py``, the CLI and scripts all load specs here: PyYAML's C loader, one
``ProviderSpec`` validation, and a refused spec reported with its file, line and field path.
"""

from dataclasses import dataclass
from pathlib import Path

import pydantic
import yaml

from zartsalgo_pipelines.settings import DEFS_DIR
from zartsalgo_pipelines.specs.consistency import salvaged_errors
from zartsalgo_pipelines.specs.errors import (
    ProviderSpecError,
    describe,
    full_loc,
    line_of,
    refusal,
    split_errors,
    yaml_syntax_message,
    yaml_tree,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.peers import peer_errors

COMPONENT_TYPE = "zartsalgo_pipelines.factory.component.ProviderComponent"
_TOP_LEVEL = frozenset({"type", "attributes"})
# What Dagster's component loader would read in a defs folder, besides ``<provider>/defs.yaml``.
_COMPONENT_FILES = ("defs.yaml", "defs.yml", "component.yaml", "component.yml")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LoadedSpec:
    spec: ProviderSpec
    folder: Path  # relative source paths resolve against it


class _SpecLoader(_Loader):  # type: ignore[misc,valid-type]
    """The C loader, refusing a key written twice in one mapping: PyYAML would keep the last
    one silently, and a spec author would not see which of the two is in force.

    The check runs on each mapping's keys as written, before PyYAML merges ``<<:`` keys into it
    (a mapping is flattened before it is built, and a mapping merged into another is flattened
    first): an override of a merged key is not a key written twice."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._checked: set[int] = set()  # ids of the mappings checked; nodes outlive the load

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        if id(node) not in self._checked:
            self._checked.add(id(node))
            _refuse_repeated_keys(node)
        super().flatten_mapping(node)


_MERGE = "tag:yaml.org,2002:merge"


def _refuse_repeated_keys(node: yaml.MappingNode) -> None:
    seen: dict[tuple[str, str], int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
            continue  # a list as a key is refused by the constructor; `<<` merges
        # The resolved tag tells `1` from `"1"`; the text is the key as written.
        key, line = (key_node.tag, key_node.value), key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key `{key_node.value}` is given twice (first on line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = line


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ProviderSpecError(f"{path}: not UTF-8 text ({error.reason})") from None


def _read(path: Path, text: str) -> object:
    try:
        return yaml.load(text, Loader=_SpecLoader)
    except yaml.YAMLError as error:
        raise ProviderSpecError(yaml_syntax_message(path, error)) from None


def load_spec_file(path: Path) -> LoadedSpec:
    """Validate one ``defs.yaml``; ProviderSpecError names the file, and every bad field with
    its line and path (a YAML syntax error with its line and column)."""
    text = _text(path)
    document = _read(path, text)
    # The node tree (for line numbers) is composed only when there is something to point at:
    # it costs as much as the load itself, and a definitions load reads every spec.
    if not isinstance(document, dict) or document.get("type") != COMPONENT_TYPE:
        line = line_of(yaml_tree(text), ("type",)) or 1
        raise ProviderSpecError(f"{path}:{line}: `type` must be {COMPONENT_TYPE}")
    unknown = sorted(str(key) for key in document if key not in _TOP_LEVEL)
    if unknown:
        # Dagster's component options (post_processing, requirements, ...) included: the
        # definitions do not go through Dagster's component loader, so they would do nothing.
        tree = yaml_tree(text)
        raise refusal(
            [
                f"{path}:{line_of(tree, (key,)) or 1}: {key}: not a key of a provider spec "
                "(the top level holds `type` and `attributes` only; its value is not shown)"
                for key in unknown
            ]
        )
    attributes = document.get("attributes")
    try:
        spec = ProviderSpec.model_validate(attributes)
    except pydantic.ValidationError as error:
        raise refusal(_every_refusal(path, text, attributes, error)) from None
    return LoadedSpec(spec, path.parent)


def _every_refusal(
    path: Path, text: str, attributes: object, error: pydantic.ValidationError
) -> list[str]:
    """One line per broken rule: pydantic's, each of a group raised together, and the rules
    across entries that pydantic skipped because some field was invalid (``salvaged_errors``),
    in the order of their lines."""
    tree = yaml_tree(text)
    items = [one for item in error.errors() for one in split_errors(item)]
    items += [
        {"type": "value_error", "loc": (), "msg": str(rule), "input": {}, "ctx": {"error": rule}}
        for rule in salvaged_errors(attributes)
    ]
    lines: dict[str, int] = {}
    for item in items:
        loc = ("attributes", *item["loc"])
        line = line_of(tree, full_loc(item, loc)) or 1
        lines.setdefault(describe(item, loc, f"{path}:{line}"), line)
    return sorted(lines, key=lambda text: lines[text])


def load_specs(defs_dir: Path = DEFS_DIR) -> dict[str, LoadedSpec]:
    """Every provider spec under ``defs_dir``, by provider key.

    The folder holds provider specs only, one ``<provider>/defs.yaml`` each: a spec elsewhere
    (nested deeper, named ``defs.yml``) or a Python module would be loaded by Dagster's
    component loader but not by the definitions, so it is refused rather than skipped."""
    _refuse_strays(defs_dir)
    found: dict[str, LoadedSpec] = {}
    for path in sorted(defs_dir.glob("*/defs.yaml")):
        loaded = load_spec_file(path)
        if loaded.spec.key in found:
            line = line_of(yaml_tree(_text(path)), ("attributes", "key"))
            raise ProviderSpecError(
                f"{path}:{line}: attributes.key: provider key `{loaded.spec.key}` is already "
                f"used by {found[loaded.spec.key].folder / 'defs.yaml'}"
            )
        found[loaded.spec.key] = loaded
    _refuse_broken_peers(found)
    return found


def _refuse_broken_peers(found: dict[str, LoadedSpec]) -> None:
    """Every metric that reads another provider reads one that fits (``specs/peers.py``)."""
    broken = peer_errors({key: loaded.spec for key, loaded in found.items()})
    lines = []
    for key, error in broken:
        path = found[key].folder / "defs.yaml"
        line = line_of(yaml_tree(_text(path)), ("attributes", *error.path)) or 1
        lines.append(f"{path}:{line}: attributes.{'.'.join(map(str, error.path))}: {error}")
    if lines:
        raise refusal(lines)


def _refuse_strays(defs_dir: Path) -> None:
    strays = sorted(
        path
        for path in defs_dir.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and (
            (path.suffix == ".py" and path.name != "__init__.py")
            or (path.name in _COMPONENT_FILES and path.parent.parent != defs_dir)
            or (path.name in _COMPONENT_FILES[1:])
        )
    )
    if strays:
        raise ProviderSpecError(
            "the defs folder holds provider specs only, one <provider>/defs.yaml each; "
            "not loaded, so refused: " + ", ".join(str(p) for p in strays)
        )


def provider_spec(key: str, defs_dir: Path = DEFS_DIR) -> LoadedSpec:
    """One provider's spec by key; ProviderSpecError names the known keys when it is unknown."""
    specs = load_specs(defs_dir)
    if key not in specs:
        raise ProviderSpecError(f"unknown provider `{key}`; known: {', '.join(sorted(specs))}")
    return specs[key]
