"""One field map entry, compiled: where its values come from (a source path or a constant), the
default that stands in for a missing one, its value map and its cast rules.

``FieldMap`` (``mapping/apply.py``) asks each column for a chunk's values and hands them on;
what a column finds wrong with a value (an expression that failed on the record, a value outside
the map) is returned by position, so it fails that row alone.
"""

from collections.abc import Callable
from typing import Any

from zartsalgo_pipelines.jsonpaths import ExpressionFailure, compile_column, may_fail
from zartsalgo_pipelines.mapping.casting import CastRules
from zartsalgo_pipelines.specs.fields import FieldMapEntry

# (position in the chunk, check failed, value as the provider sent it)
Problem = tuple[int, str, Any]


class FieldColumn:
    """A field map entry, compiled once for every chunk of a sync."""

    def __init__(self, entry: FieldMapEntry) -> None:
        self.entry = entry
        self.target = entry.target
        self.rules = CastRules.of(entry)
        self._read: Callable[[list[Any]], list[Any]]
        if entry.source is None:
            constant = entry.constant
            self._read = lambda records: [constant] * len(records)
        else:
            self._read = compile_column(entry.source)
        self.may_fail = entry.source is not None and may_fail(entry.source)
        # Value maps are looked up by the text the provider sent (case-folded if declared).
        self.lookup: dict[str, str] | None = None
        if entry.values:
            fold = str.casefold if entry.casefold else str
            self.lookup = {fold(k): v for k, v in entry.values.items()}
            self.accepted = f"one of {', '.join(sorted(entry.values))}"

    def read(self, records: list[Any]) -> list[Any]:
        """The chunk's values, the default in place of a missing one; a record the source
        expression failed on gets an ``ExpressionFailure``, which is not missing."""
        values = self._read(records)
        default = self.entry.default
        if default is not None:
            values = [default if v is None else v for v in values]
        return values

    def failed_expressions(self, values: list[Any]) -> list[Problem]:
        """The positions whose source expression failed; their values become missing, so the
        row is judged once, by this failure."""
        if not self.may_fail:
            return []
        problems = []
        for position, value in enumerate(values):
            if type(value) is ExpressionFailure:
                problems.append((position, value.check(), None))
                values[position] = None
        return problems

    def map_values(self, values: list[Any]) -> tuple[list[Any], list[Problem]]:
        """Provider values -> ZartsAlgo values; a value that is not a key of the map fails
        with the keys it accepts (what the provider may send, not what ZartsAlgo stores)."""
        if self.lookup is None:
            return values, []
        mapped: list[Any] = []
        problems: list[Problem] = []
        for position, value in enumerate(values):
            key = _key_text(value)
            if value is None or key == "":  # not given, as a blank text is everywhere
                mapped.append(None)
                continue
            found = None if key is None else self.lookup.get(key)
            if found is None:
                problems.append((position, self.accepted, value))
            mapped.append(found)
        return mapped, problems


def _key_text(value: Any) -> str | None:
    """The text a value is looked up by: a text stripped, a whole number as its digits."""
    if type(value) is str:
        return value.strip()
    if type(value) is int:
        return str(value)
    return None
