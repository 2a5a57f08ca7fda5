"""Turning a refused provider spec into messages that name file, line, field path and rule.

``specs/loading.py`` uses these for every reader of a spec: the definitions, the CLI, scripts.
A refused value is echoed so the author sees it, except where it may be a secret written
inline: at a place that takes an environment variable NAME, and under an unknown key.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import yaml

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.specs.types import ENV_VAR_NAME_PATTERN

Loc = tuple[str | int, ...]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SECRET_PLACES = frozenset({"credentials", "secrets"})
_HIDDEN = " (value not shown: it may be a secret; give the NAME of an environment variable)"
_UNKNOWN_KEY = " (unknown key; its value is not shown)"
_ECHO_LIMIT = 80


class ProviderSpecError(ZartsalgoError):
    """A provider spec (defs.yaml) was refused; the message names file, line and field path."""

    retryable: ClassVar[bool] = False  # the spec must be fixed first


class SpecFieldError(ValueError, ZartsalgoError):
    """A cross-field rule broken at ``path`` (relative to the model that checks it), so the
    message points at the offending field's line rather than at the whole model.

    A ``ValueError`` first: pydantic turns only ValueError and AssertionError raised in a
    validator into a validation error.
    """

    retryable: ClassVar[bool] = False

    def __init__(self, path: Loc, message: str) -> None:
        super().__init__(message)
        self.path = path


class SpecFieldsError(ValueError, ZartsalgoError):
    """Several rules broken at once, each a ``SpecFieldError`` reported on its own line: a
    spec's author sees every mistake of one load, not the first of them."""

    retryable: ClassVar[bool] = False

    def __init__(self, errors: Sequence[SpecFieldError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = list(errors)


def raise_all(errors: Sequence[SpecFieldError]) -> None:
    """Raise the rules broken, if any: one ``SpecFieldError`` as itself, several together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SpecFieldsError(errors)


def yaml_tree(text: str) -> yaml.Node | None:
    """The YAML node tree of a document (for line numbers); parse errors propagate."""
    return yaml.compose(text, Loader=_Loader)


def line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of the deepest node of ``loc`` present in the tree.

    Parts not in the document are skipped (pydantic adds union tags such as `rest_api`, and a
    missing key is reported at its parent); a mapping entry is reported at its key.
    """
    node, line = root, None if root is None else root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            entry = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if entry is not None:
                line, node = entry[0].start_mark.line + 1, entry[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


def yaml_syntax_message(path: Path, error: yaml.YAMLError) -> str:
    """``file:line:column: YAML syntax error: ...`` instead of PyYAML's `<unicode string>`."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    return f"{where}: YAML syntax error: {problem}" + (f" ({context})" if context else "")


def full_loc(error: Any, loc: Loc) -> Loc:
    """``loc`` extended by the path a ``SpecFieldError`` names (the field a rule points at)."""
    cause = (error.get("ctx") or {}).get("error")
    return loc + cause.path if isinstance(cause, SpecFieldError) else loc


def split_errors(error: Any) -> list[Any]:
    """A pydantic error item as one item per broken rule: a ``SpecFieldsError`` becomes an
    item for each of its errors, so each gets its own line, path and message."""
    cause = (error.get("ctx") or {}).get("error")
    if not isinstance(cause, SpecFieldsError):
        return [error]
    return [error | {"msg": str(one), "ctx": {"error": one}} for one in cause.errors]


def _echo(error: Any, loc: Loc) -> str:
    value = error.get("input")
    if isinstance(value, dict | list):
        return ""
    if any(part in _SECRET_PLACES for part in loc):
        return _HIDDEN
    if (error.get("ctx") or {}).get("pattern") == ENV_VAR_NAME_PATTERN:
        return _HIDDEN
    if error["type"] == "extra_forbidden":
        return _UNKNOWN_KEY
    text = repr(value)
    return f" (got {text[:_ECHO_LIMIT]}{'...' if len(text) > _ECHO_LIMIT else ''})"


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


def describe(error: Any, loc: Loc, where: str) -> str:
    """One refusal: ``where: attributes.<path>: <rule>`` plus the value unless it may be secret."""
    full = full_loc(error, loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {_dotted(full)}: {message}{_echo(error, full)}"


def refusal(lines: Sequence[str]) -> ProviderSpecError:
    return ProviderSpecError("Provider spec refused:\n" + "\n".join(lines))
