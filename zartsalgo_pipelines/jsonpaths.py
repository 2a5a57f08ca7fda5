"""Source paths in provider records: parsed by JMESPath, evaluated by compiled closures.

JMESPath parses every expression. The common node types (fields, sub-expressions, indexes,
pipes, projections, filters comparing with ``==``/``!=``, multi-select lists, and ``join`` of
texts, the usual composite external id) are then compiled once into Python closures with
JMESPath's semantics; anything else is evaluated by JMESPath itself. The
interpreter walks its AST for every record, which at a few million lookups per large export
cost more than the database writes. The tests check the closures against ``jmespath.search``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import jmespath
import jmespath.visitor

from zartsalgo_pipelines.errors import ZartsalgoError

Getter = Callable[[Any], Any]
ColumnGetter = Callable[[list[Any]], list[Any]]


class _UnsupportedNodeError(ZartsalgoError):
    pass


@dataclass(frozen=True, slots=True)
class ExpressionFailure:
    """What evaluating an expression on one record raised, in place of its value: the failure
    of that record (a dead letter), never of the chunk. JMESPath raises for a function given a
    type it refuses, e.g. ``join('|', [a, b])`` where ``b`` is null."""

    expression: str
    error: str  # "JMESPathTypeError: In function join(), invalid type for value: None, ..."

    def check(self, what: str = "source") -> str:
        """The failed check as a dead letter names it."""
        return f"{what} `{self.expression}` failed: {self.error}"


_ERROR_CHARS = 300  # of an error's text in a check


def _failure(expression: str, error: Exception) -> ExpressionFailure:
    text = f"{type(error).__name__}: {error}"
    return ExpressionFailure(expression, text[:_ERROR_CHARS])


def compile_safe_getter(expression: str) -> Callable[[Any], Any]:
    """``compile_getter``, but an error while evaluating it on a record is returned as an
    ``ExpressionFailure`` instead of raised: for expressions applied to provider records one by
    one, where one record must not stop the others."""
    get = compile_getter(expression)

    def safe(record: Any) -> Any:
        try:
            return get(record)
        except Exception as error:  # whatever it is, it is this record's failure
            return _failure(expression, error)

    return safe


def _truthy(value: Any) -> bool:
    # JMESPath: false, null, "" , [] and {} are false; 0 is true.
    return not (value is None or value is False or value in ("", [], {}))


def _equals(left: Any, right: Any) -> bool:
    # JMESPath keeps booleans and numbers apart (true != 1).
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def _field(key: str) -> Getter:
    return lambda value: value.get(key) if isinstance(value, dict) else None


def _keys(keys: list[str]) -> Getter:
    """``a.b.c`` as one closure: a chain of ``_field`` closures cost a call per key and per link
    (the filter in ``answers[?field.ref=='x']`` runs it for every item of every record)."""
    if len(keys) == 1:
        return _field(keys[0])

    def get(value: Any) -> Any:
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return get


def _then(first: Getter, second: Getter) -> Getter:
    return lambda value: second(first(value))


def _index(base: Getter | None, position: int) -> Getter:
    """``base[position]``; ``base`` None is the current value (``| [0]``), spared a call."""

    def get(value: Any) -> Any:
        items = value if base is None else base(value)
        if not isinstance(items, list):
            return None
        try:
            return items[position]
        except IndexError:
            return None

    return get


def _projection(base: Getter, each: Getter, keep: Getter | None = None) -> Getter:
    """``base[*].each``, or ``base[?keep].each``; ``keep`` returns a bool (``_test``)."""

    def get(value: Any) -> Any:
        items = base(value)
        if not isinstance(items, list):
            return None
        out = []
        for item in items:
            if keep is not None and not keep(item):
                continue
            result = each(item)
            if result is not None:
                out.append(result)
        return out

    return get


def _test(node: dict[str, Any]) -> Getter:
    """A filter's condition as a closure returning a bool (a comparator returns one already)."""
    if node["type"] == "comparator" and node["value"] in {"eq", "ne"}:
        return _compile(node)
    condition = _compile(node)
    return lambda value: _truthy(condition(value))


def _comparator(node: dict[str, Any]) -> Getter:
    """``==`` / ``!=``; against a literal text (``ref=='service'``) a plain ``==`` is JMESPath's
    equality, since no boolean equals a text, with no literal closure called per value."""
    left_node, right_node = node["children"]
    if left_node["type"] == "literal":
        left_node, right_node = right_node, left_node  # equality is symmetric
    left = _compile(left_node)
    if right_node["type"] == "literal" and type(right_node["value"]) is str:
        text = right_node["value"]
        if node["value"] == "eq":
            return lambda value: left(value) == text
        return lambda value: left(value) != text
    right = _compile(right_node)
    if node["value"] == "eq":
        return lambda value: _equals(left(value), right(value))
    return lambda value: not _equals(left(value), right(value))


def _compile(node: dict[str, Any]) -> Getter:
    kind, children = node["type"], node.get("children", [])
    keys = _field_chain(node)
    if keys is not None:
        return _keys(keys)
    if kind in {"identity", "current"}:
        return lambda value: value
    if kind == "literal":
        literal = node["value"]
        return lambda _value: literal
    if kind in {"subexpression", "pipe"}:  # a.b.c parses as one node with three children
        getter = _compile(children[0])
        for child in children[1:]:
            getter = _then(getter, _compile(child))
        return getter
    if kind == "index_expression" and children[1]["type"] == "index":
        current = children[0]["type"] in {"identity", "current"}
        return _index(None if current else _compile(children[0]), children[1]["value"])
    if kind == "projection":
        return _projection(_compile(children[0]), _compile(children[1]))
    if kind == "filter_projection":
        return _projection(_compile(children[0]), _compile(children[1]), _test(children[2]))
    if kind == "comparator" and node["value"] in {"eq", "ne"}:
        return _comparator(node)
    if kind == "multi_select_list":
        getters = [_compile(child) for child in children]
        return lambda value: None if value is None else [get(value) for get in getters]
    if kind == "function_expression" and node["value"] == "join" and len(children) == 2:
        return _join(node, _compile(children[0]), _compile(children[1]))
    raise _UnsupportedNodeError(kind)


def _join(node: dict[str, Any], glue: Getter, parts: Getter) -> Getter:
    """``join(glue, [a, b, c])`` of texts; any other arguments go to JMESPath itself, which
    gives its own answer or raises its own error (a null part: ``JMESPathTypeError``)."""
    interpreter = jmespath.visitor.TreeInterpreter()

    def join(value: Any) -> Any:
        text, items = glue(value), parts(value)
        if type(text) is str and type(items) is list and all(type(i) is str for i in items):
            return text.join(items)
        return interpreter.visit(node, value)  # type: ignore[arg-type]  # a parsed node

    return join


def compile_getter(expression: str) -> Getter:
    """A function returning the value at ``expression`` in a record, or None when absent."""
    compiled = jmespath.compile(expression)
    try:
        return _compile(dict(compiled.parsed))
    except _UnsupportedNodeError:
        return compiled.search


def _field_chain(node: dict[str, Any]) -> list[str] | None:
    """The keys of ``a``, ``a.b``, ``a.b.c`` ... (None for any other expression)."""
    if node["type"] == "field":
        return [node["value"]]
    if node["type"] == "subexpression":
        keys = [_field_chain(child) for child in node["children"]]
        if all(k is not None for k in keys):
            return [key for part in keys if part for key in part]
    return None


def compile_column(expression: str) -> ColumnGetter:
    """A function returning the value at ``expression`` for each of a list of records.

    Most field-map sources are plain key chains (``id``, ``contact.email``); for those each
    step is one list comprehension over the whole chunk, a fifth of the cost of calling a
    closure per record and key, and nothing can raise. Anything else applies
    ``compile_safe_getter`` record by record: a record it fails on gets an ``ExpressionFailure``.
    """
    keys = _field_chain(dict(jmespath.compile(expression).parsed))
    if keys is None:
        return _records_column(expression)

    def column(records: list[Any]) -> list[Any]:
        values = records
        for key in keys:
            try:
                # dict.get mapped in C: a third of the comprehension's time. It raises for a
                # value that is not a dict (a missing object is None), and then the step is
                # taken again value by value.
                values = list(map(dict.get, values, repeat(key)))
            except TypeError:
                values = [v.get(key) if isinstance(v, dict) else None for v in values]
        return values

    return column


def _records_column(expression: str) -> ColumnGetter:
    """Any other expression, record by record. It may raise on some record (a function given
    a null): that record's value is then an ExpressionFailure, the others are evaluated as
    usual. Evaluation is pure, so the chunk is evaluated without a ``try`` per record first and
    again record by record only when some record raised."""
    get, safe = compile_getter(expression), compile_safe_getter(expression)

    def column(records: list[Any]) -> list[Any]:
        try:
            return [get(r) for r in records]
        except Exception:  # whatever it is, it is one record's failure: find which
            return [safe(r) for r in records]

    return column


def may_fail(expression: str) -> bool:
    """Whether evaluating ``expression`` may give an ``ExpressionFailure`` (anything but a
    plain key chain, which only reads dictionaries)."""
    return _field_chain(dict(jmespath.compile(expression).parsed)) is None


def top_level_key(expression: str) -> str | None:
    """The record's top-level key an expression starts from (None for computed expressions)."""
    node = jmespath.compile(expression).parsed
    while node["type"] not in {"field", "current"}:
        if not node.get("children"):
            return None
        node = node["children"][0]
    return node.get("value")
