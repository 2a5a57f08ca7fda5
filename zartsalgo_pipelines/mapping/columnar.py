"""The columnar mapping path: a chunk's plain rows cast and checked as whole columns.

The row path (``FieldMap._validate``) handles every value in Python and then hands the typed
frame to pandera. Here each column is converted to Arrow in one call and its common values
(texts without surrounding whitespace, JSON numbers, ids) are cast, value-mapped and checked
as column operations; what it does not cast itself (a number sent as text or with ``scale``, a
time, a boolean) goes through the row path's own cast, which works on a column too, unchanged.

A row is taken here only when every one of its values is plain and passes every check of its
field; any other row (a failed cast, a failed check, a failed source expression, an id the id
rule refuses, a value outside the value map, a value with whitespace to strip) is handed to the
row path, which maps it exactly as it always has: the fallback is per row, never per chunk, and
every failure and reason is written by the row path's code. So a row's outcome is the row
path's whenever the columnar values of the rows taken here equal the row path's, which the
differential test (``zartsalgo_pipelines_tests/pipeline/test_columnar_differential.py``)
checks table by table on both databases.
"""

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from zartsalgo_pipelines.jsonpaths import ExpressionFailure
from zartsalgo_pipelines.mapping.casting import DTYPES, cast
from zartsalgo_pipelines.mapping.columns import FieldColumn
from zartsalgo_pipelines.mapping.ids import ID_MAX_CHARS, normalise_id
from zartsalgo_pipelines.mapping.outcomes import MappedChunk

if TYPE_CHECKING:
    from zartsalgo_pipelines.mapping.apply import FieldMap

# What ``str.strip()`` removes (``str.isspace``: 29 code points, beyond Unicode's White_Space).
_SPACES = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
# A float holds every integer up to this exactly; beyond it the row path's float() rounds.
_EXACT_INTEGERS = 2**53
# Columns of only these types are plain texts / numbers as they stand.
_TEXTS = frozenset({str, type(None)})
_FLOATS = frozenset({float, type(None)})

# (typed column for every candidate, positional; mask of the candidates it is sure of)
Typed = tuple[pd.Series, np.ndarray]


def validate_columnar(field_map: "FieldMap", chunk: MappedChunk, candidates: list[int]) -> None:
    """Map ``candidates`` (positions in ``chunk``) as columns; hand every row it is not sure of
    to the row path. Sets what the row path sets: outcomes, failures, ids, ``valid``, contexts.
    """
    records = [chunk.rows[i].record or {} for i in candidates]
    columns = {target: column.read(records) for target, column in field_map.columns.items()}
    field_map._refuse_missing_required(columns, chunk, candidates)
    unsure: dict[str, np.ndarray] = {}
    typed: dict[str, pd.Series] = {}
    for target, column in field_map.columns.items():
        fold = target in field_map.casefold
        series, ok = _typed_column(column, field_map.types[target], columns[target], fold)
        unsure[target] = ~(ok & _checks_pass(field_map.schema.columns[target], series))
        typed[target] = series
    sure = ~np.logical_or.reduce(list(unsure.values()))
    ids = typed["external_id"]
    fast = np.flatnonzero(sure)
    slow = [candidates[p] for p in np.flatnonzero(~sure)]
    fast_index = [candidates[p] for p in fast]
    field_map.columnar_rows += len(fast_index)
    frame = pd.DataFrame({t: s.take(fast) for t, s in typed.items()})
    frame.index = pd.Index(fast_index)
    for index, external_id in zip(fast_index, ids.take(fast).tolist(), strict=True):
        chunk.external_ids[index] = external_id
    mapped = field_map.mapped_keys
    for index in fast_index:
        record = chunk.rows[index].record or {}
        context = {k: v for k, v in record.items() if k not in mapped}
        if context:
            chunk.contexts[index] = context
    if not slow:
        chunk.valid = frame
        return
    # Only the columns a slow row is unsure in are checked again (a column no slow row fails
    # gives no failure case): every check of a column checked again costs a pass over it.
    only = [t for t in typed if unsure[t][~sure].any()]
    field_map._validate(chunk, slow, field_map.schema.select_columns(only))
    parts = [part for part in (frame, chunk.valid) if len(part)]
    chunk.valid = pd.concat(parts).sort_index() if len(parts) > 1 else (parts or [frame])[0]


def _typed_column(column: FieldColumn, field_type: str, values: list[Any], fold: bool) -> Typed:
    """The column cast to its field type, and which of its values it is sure of."""
    if column.target == "external_id":
        series, ok = _id_column(column, field_type, values, fold)
    elif fold or column.rules.scale is not None or column.rules.round is not None:
        series, ok = _rows_cast(column, field_type, values, fold)
    elif field_type in ("string", "category"):
        series, ok = _text_column(column, field_type, values)
    elif field_type in ("integer", "decimal") and column.lookup is None:
        series, ok = _number_column(column, field_type, values)
    else:  # booleans, times and dates: the row path's cast is a column operation already
        series, ok = _rows_cast(column, field_type, values, fold)
    # A source expression that failed on a record fails that row (``set(map(type, ...))``
    # tells in C whether any did: a generator a value cost more than the test).
    if column.may_fail and ExpressionFailure in set(map(type, values)):
        ok &= np.fromiter((type(v) is not ExpressionFailure for v in values), bool, len(values))
    return series, ok


def _rows_cast(column: FieldColumn, field_type: str, values: list[Any], fold: bool) -> Typed:
    """The row path's own steps (fold, value map, cast) for these values; a value they fail
    on is not sure."""
    if fold:
        values = [v.casefold() if type(v) is str else v for v in values]
    values, outside = column.map_values(values)
    series, bad = cast(values, field_type, column.rules)
    ok = ~bad
    ok[[position for position, _, _ in outside]] = False
    return series, ok


def _delegate(
    series: pd.Series, others: np.ndarray, values: list[Any], steps: Callable[[list[Any]], Typed]
) -> Typed:
    """The column with the values at positions ``others`` put through the row path's own
    ``steps`` (casts are value by value, so a value casts the same alone or among others)."""
    ok = np.ones(len(values), dtype=bool)
    if len(others):
        typed, sure = steps([values[p] for p in others])
        series.iloc[others] = typed.array
        ok[others] = sure
    return series, ok


def _strings(values: list[Any]) -> tuple[pyarrow.Array, np.ndarray]:
    """Texts as an Arrow array (blank as missing), and which values are texts (or missing)
    without surrounding whitespace: those the row path's ``strip() or None`` keeps as sent."""
    if set(map(type, values)) <= _TEXTS:  # the usual column: no value to look at one by one
        plain = np.ones(len(values), dtype=bool)
    else:
        plain = np.fromiter((type(v) is str or v is None for v in values), bool, len(values))
    texts = values if plain.all() else _only(values, plain)
    try:
        array = pyarrow.array(texts, type=pyarrow.string())
    except (pyarrow.ArrowException, UnicodeError):  # a lone surrogate: not UTF-8 at all
        plain &= np.fromiter((v is None or _utf8(v) for v in texts), bool, len(texts))
        array = pyarrow.array(_only(values, plain), type=pyarrow.string())
    # A text with one of them at an edge is what trimming them shortens: a seventh of the
    # time of the regular expression ``^[...]|[...]$`` over the same texts.
    trimmed = pc.utf8_trim(array, characters=_SPACES)
    edged = pc.not_equal(pc.binary_length(trimmed), pc.binary_length(array)).fill_null(False)
    plain &= ~edged.to_numpy(zero_copy_only=False)
    blank = pc.equal(pc.binary_length(array), 0).fill_null(False)
    return pc.if_else(blank, pyarrow.scalar(None, pyarrow.string()), array), plain


def _only(values: list[Any], keep: np.ndarray) -> list[Any]:
    return [v if k else None for v, k in zip(values, keep.tolist(), strict=True)]


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeError:
        return False
    return True


def _text_column(column: FieldColumn, field_type: str, values: list[Any]) -> Typed:
    array, plain = _strings(values)
    if column.lookup is not None:
        array, found = _value_mapped(column.lookup, array)
        plain &= found
    series = pd.Series(array, dtype=DTYPES[field_type])
    others = np.flatnonzero(~plain)
    return _delegate(series, others, values, lambda v: _rows_cast(column, field_type, v, False))


def _value_mapped(lookup: dict[str, str], array: pyarrow.Array) -> tuple[pyarrow.Array, Any]:
    """Provider texts through the value map; a text that is not a key is the row path's (it
    fails it), as is a key whose value the cast would empty."""
    keys = pyarrow.array(list(lookup), type=pyarrow.string())
    finals = [v.strip() or None for v in lookup.values()]
    positions = pc.index_in(array, value_set=keys)
    mapped = pc.take(pyarrow.array(finals, type=pyarrow.string()), positions)
    found = pc.or_(pc.is_null(array), pc.is_valid(mapped))
    return mapped, found.to_numpy(zero_copy_only=False)


def _id_column(column: FieldColumn, field_type: str, values: list[Any], fold: bool) -> Typed:
    """Ids under the id rule (``mapping/ids.py``): texts it keeps as sent as a column; any
    other id (a whole number, one to strip, one the rule refuses) through the row path."""

    def steps(raw: list[Any]) -> Typed:  # the row path's, in its order
        pairs = [normalise_id(v, fold) for v in raw]
        typed, ok = _rows_cast(column, field_type, [i for i, _ in pairs], fold=False)
        return typed, ok & np.fromiter((r is None for _, r in pairs), bool, len(pairs))

    if field_type != "string" or column.lookup is not None:
        return steps(values)
    folded = [v.casefold() if type(v) is str else v for v in values] if fold else values
    array, plain = _strings(folded)
    fits = pc.and_(
        pc.less_equal(pc.utf8_length(array), ID_MAX_CHARS),
        pc.invert(pc.match_substring(array, "\x00")),
    )
    plain &= fits.fill_null(True).to_numpy(zero_copy_only=False)
    series = pd.Series(array, dtype=DTYPES["string"])
    return _delegate(series, np.flatnonzero(~plain), values, steps)


def _number_column(column: FieldColumn, field_type: str, values: list[Any]) -> Typed:
    """JSON numbers as floats (an integer field: whole ones as integers) as a column; a
    number sent as text, a boolean, an integer a float cannot hold exactly, a fraction for an
    integer field: through the row path."""
    plain = np.ones(len(values), dtype=bool)
    if not set(map(type, values)) <= _FLOATS:
        plain = np.fromiter(
            (
                type(v) is float
                or v is None
                or (type(v) is int and -_EXACT_INTEGERS <= v <= _EXACT_INTEGERS)
                for v in values
            ),
            dtype=bool,
            count=len(values),
        )
    numbers = values if plain.all() else _only(values, plain)
    floats = pyarrow.array(numbers, type=pyarrow.float64()).to_numpy(zero_copy_only=False)
    if field_type == "integer":
        with np.errstate(invalid="ignore"):
            exact = (np.mod(floats, 1) == 0) & (np.abs(floats) <= _EXACT_INTEGERS)
        plain &= exact | np.isnan(floats)
        floats = np.where(plain, floats, np.nan)
    series = pd.Series(floats, dtype="Float64").astype(DTYPES[field_type])
    others = np.flatnonzero(~plain)
    return _delegate(series, others, values, lambda v: _rows_cast(column, field_type, v, False))


def _checks_pass(schema_column: pa.Column, series: pd.Series) -> np.ndarray:
    """Which values pass every check pandera would run on the column (its required check
    included), by the very check functions pandera runs."""
    ok = np.ones(len(series), dtype=bool)
    missing = series.isna().to_numpy()
    if not schema_column.nullable:
        ok &= ~missing
    for check in schema_column.checks:
        ok &= _passes(check, series, missing)
    return ok


def _passes(check: pa.Check, series: pd.Series, missing: np.ndarray) -> np.ndarray:
    """One check over the column: missing values pass (pandera's ``ignore_na``)."""
    output = check(series).check_output  # only the given values, labelled by position
    ok = missing.copy()
    ok[output.index.to_numpy()] = output.to_numpy(dtype=bool, na_value=False)
    return ok
