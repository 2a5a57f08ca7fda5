"""A JSON-array export, decoded item by item from a sliding buffer (never the whole file).

The standard library's decoder keeps integers whole and is told to refuse NaN and Infinity
(``sources/jsontext.py``). An item that is JSON in form (its brackets and strings close) but
cannot be a record (nested deeper than the decoder recurses, NaN or Infinity, an integer of
thousands of digits) is one failed row holding its text; the items after it still load.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

from zartsalgo_pipelines.sources import jsontext
from zartsalgo_pipelines.sources.rows import SourceRow, as_row

READ_SIZE = 1 << 16


def json_array_rows(handle: Any, source_ref: str) -> Iterator[SourceRow]:
    """The items of the array, numbered from 1; a file that is not an array fails whole."""
    decoder = json.JSONDecoder(parse_constant=jsontext.refuse_constant)
    buffer = _fill(handle, "").lstrip()
    if not buffer.startswith("["):
        raise ValueError(f"{source_ref}: a JSON export must be an array of records")
    buffer = buffer[1:]
    position = 0
    while True:
        buffer = buffer.lstrip().removeprefix(",").lstrip()
        if buffer.startswith("]"):
            return
        try:
            value, end = decoder.raw_decode(buffer)
        except json.JSONDecodeError as error:
            more = handle.read(READ_SIZE)
            if not more:
                raise ValueError(
                    f"{source_ref}: item {position + 1} is not valid JSON ({error})"
                ) from error
            buffer += more
            continue
        except (RecursionError, ValueError) as error:
            item_end = _item_end(buffer)
            if item_end is None:
                more = handle.read(READ_SIZE)
                if not more:
                    raise ValueError(f"{source_ref}: item {position + 1} never ends") from None
                buffer += more
                continue
            position += 1
            why = "nested too deep to parse" if isinstance(error, RecursionError) else str(error)
            yield SourceRow(
                source_ref, position, None, f"item is not a record ({why})", buffer[:item_end]
            )
            buffer = _fill(handle, buffer[item_end:])
            continue
        position += 1
        yield as_row(source_ref, position, value, None)
        buffer = _fill(handle, buffer[end:])


# A whole string (escapes included), a lone quote (a string the buffer does not hold whole yet),
# or a bracket.
_ITEM_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{}]')
_SCALAR = re.compile(r"[^,\]\s]+")


def _item_end(buffer: str) -> int | None:
    """Where the array item at the start of ``buffer`` ends, by its brackets (a scalar: where
    the next comma, bracket or space is); None if the buffer does not hold all of it."""
    if not buffer.startswith(("[", "{")):
        scalar = _SCALAR.match(buffer)
        return scalar.end() if scalar and scalar.end() < len(buffer) else None
    depth = 0
    for match in _ITEM_TOKENS.finditer(buffer):
        token = match.group()
        if token == '"' or (depth == 0 and token not in "[{"):
            return None
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:
                return match.end()
    return None


def _fill(handle: Any, buffer: str) -> str:
    # Keep at least one read's worth buffered so raw_decode sees whole small items.
    if len(buffer) < READ_SIZE:
        buffer += handle.read(READ_SIZE)
    return buffer
