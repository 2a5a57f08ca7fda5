"""Putting a value where a field's source path reads it: the inverse of ``jsonpaths`` for the
paths a manual-entry column can stand for.

A manual row is turned into a record in the export's own shape, so it maps, validates, dead-
letters and replays exactly like a row of the export. Supported: key chains (``client.slug``),
an index (``items[0].name``) and the "first item whose key equals a literal" pattern
(``answers[?field.ref=='service'].text | [0]``). Every placement is checked by reading the value
back with the field map's own getter, so a path this module gets wrong is refused, never stored
somewhere the map does not read.
"""

from typing import Any

import jmespath

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.jsonpaths import compile_getter

# ("key", name) | ("index", position) | ("match", (key, ...), literal)
Step = tuple[Any, ...]


class _CannotPlaceError(ZartsalgoError):
    """Internal: the path cannot be filled; callers get None or False, never this."""


def placement_steps(expression: str) -> list[Step] | None:
    """The steps that lead to where ``expression`` reads; None when it cannot be filled."""
    try:
        return _steps(dict(jmespath.compile(expression).parsed))
    except _CannotPlaceError:
        return None


def place(record: dict[str, Any], expression: str, steps: list[Step], value: Any) -> bool:
    """Put ``value`` into ``record`` where ``expression`` reads it; False when that is not
    possible (the record already holds something else on the way)."""
    try:
        _put(record, steps, value)
    except _CannotPlaceError:
        return False
    return bool(compile_getter(expression)(record) == value)


def _steps(node: dict[str, Any]) -> list[Step]:
    kind, children = node["type"], node.get("children", [])
    if kind == "field":
        return [("key", node["value"])]
    if kind == "identity":
        return []
    if kind == "subexpression":
        return [step for child in children for step in _steps(child)]
    if kind == "index_expression" and children[1]["type"] == "index":
        return [*_steps(children[0]), ("index", children[1]["value"])]
    if kind == "pipe" and len(children) == 2 and _first_item(children[1]):
        return _first_match(children[0])
    raise _CannotPlaceError(kind)


def _first_item(node: dict[str, Any]) -> bool:
    # `| [0]`: an index expression on the current value.
    children = node.get("children", [])
    return (
        node["type"] == "index_expression"
        and children[0]["type"] == "identity"
        and children[1] == {"type": "index", "value": 0, "children": []}
    )


def _first_match(node: dict[str, Any]) -> list[Step]:
    """``base[?a.b == 'literal'].rest | [0]``: the first item of ``base`` that matches."""
    if node["type"] != "filter_projection":
        raise _CannotPlaceError(node["type"])
    base, each, condition = node["children"]
    if condition["type"] != "comparator" or condition["value"] != "eq":
        raise _CannotPlaceError("comparator")
    left, right = condition["children"]
    if left["type"] == "literal":
        left, right = right, left
    keys = _steps(left)
    if right["type"] != "literal" or not keys or any(step[0] != "key" for step in keys):
        raise _CannotPlaceError("filter")
    match = ("match", tuple(step[1] for step in keys), right["value"])
    return [*_steps(base), match, *_steps(each)]


def _put(record: dict[str, Any], steps: list[Step], value: Any) -> None:
    here: Any = record
    for position, step in enumerate(steps):
        if position == len(steps) - 1:
            _set(here, step, value)
            return
        container: Any = [] if steps[position + 1][0] in {"index", "match"} else {}
        here = _enter(here, step, container)


def _enter(here: Any, step: Step, container: Any) -> Any:
    """The child ``step`` leads to, created as ``container`` when it is not there yet."""
    kind = step[0]
    if kind == "key" and isinstance(here, dict):
        if here.get(step[1]) is None:
            here[step[1]] = container
        return here[step[1]]
    if kind == "index" and isinstance(here, list):
        if not here and step[1] in {0, -1}:
            here.append(container)
        try:
            return here[step[1]]
        except IndexError:
            raise _CannotPlaceError("index") from None
    if kind == "match" and isinstance(here, list):
        _, keys, literal = step
        for item in here:
            if _dig(item, keys) == literal:
                return item
        item = {}
        _put(item, [("key", key) for key in keys], literal)
        here.append(item)
        return item
    raise _CannotPlaceError(kind)


def _set(here: Any, step: Step, value: Any) -> None:
    if step[0] == "key" and isinstance(here, dict):
        here[step[1]] = value
    elif step[0] == "index" and isinstance(here, list) and not here and step[1] in {0, -1}:
        here.append(value)
    else:
        raise _CannotPlaceError(step[0])


def _dig(item: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        item = item.get(key) if isinstance(item, dict) else None
    return item
