"""Source paths in provider records: JMESPath, with a fast path for plain dotted fields.

JMESPath does the parsing. When the parsed expression is only a chain of field names
(``contact.email``), walking the dicts directly gives the same answer several times faster, which
matters at a few million lookups per large export.
"""

from collections.abc import Callable
from typing import Any

import jmespath

Getter = Callable[[dict[str, Any]], Any]


def _field_chain(node: dict[str, Any]) -> list[str] | None:
    if node["type"] == "field":
        return [node["value"]]
    if node["type"] == "subexpression":
        chain: list[str] = []
        for child in node["children"]:
            part = _field_chain(child)
            if part is None:
                return None
            chain.extend(part)
        return chain
    return None


def compile_getter(expression: str) -> Getter:
    """A function returning the value at ``expression`` in a record, or None when absent."""
    compiled = jmespath.compile(expression)
    chain = _field_chain(dict(compiled.parsed))
    if chain is None:
        return compiled.search
    if len(chain) == 1:
        (key,) = chain
        return lambda record: record.get(key)

    def walk(record: dict[str, Any]) -> Any:
        value: Any = record
        for key in chain:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return walk


def top_level_key(expression: str) -> str | None:
    """The record's top-level key an expression starts from (None for computed expressions)."""
    node = jmespath.compile(expression).parsed
    while node["type"] not in {"field", "current"}:
        if not node.get("children"):
            return None
        node = node["children"][0]
    return node.get("value")
