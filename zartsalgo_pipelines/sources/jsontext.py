"""JSON from a provider, read as it was sent: integers of any length, and no NaN or Infinity.

orjson (fast, and used for nearly every line) reads an integer beyond 64 bits as a float:
``2**70`` became ``1.1805916207174113e+21`` in the stored payload and in the reason that quoted
it. Only a text holding a run of 19 digits can hold such an integer, so only such a text is read
again by the standard library, which keeps integers whole.

NaN, Infinity and -Infinity are not JSON (RFC 8259) and no JSON column stores them (orjson wrote
them back as null): orjson refuses them, and the standard library is told to.
"""

import json
import re
from collections.abc import Callable
from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError  # a subclass of json.JSONDecodeError and ValueError

# The longest integers orjson keeps exact are 2**64 - 1 (20 digits) and -2**63 (19 digits).
_LONG_DIGITS_TEXT = re.compile(r"[0-9]{19}")
# In bytes, every ASCII digit made a `0`: a run of 19 digits is then a run of 19 zeros, which
# `in` finds in C. The regex `[0-9]{19}` took 6 us of a 660-byte line (it tries a match at
# every digit), more than parsing the line; this takes under 1.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_NINETEEN_ZEROS = b"0" * 19


def has_long_digits(data: bytes) -> bool:
    """Whether ``data`` holds a run of 19 or more ASCII digits (``[0-9]{19}``)."""
    return _NINETEEN_ZEROS in data.translate(_DIGITS_AS_ZERO)


NOT_JSON_CONSTANTS = "NaN, Infinity and -Infinity are not JSON"


def refuse_constant(name: str) -> Any:
    """``parse_constant`` for the standard library's decoder: NaN and Infinity are errors."""
    raise ValueError(f"{name}: {NOT_JSON_CONSTANTS}")


def exact_parser(data: bytes) -> Callable[[bytes], Any]:
    """What reads the documents (lines) ``data`` holds exactly: orjson itself when ``data``
    holds no run of 19 digits, else ``loads``, which tells line by line."""
    return loads if has_long_digits(data) else orjson.loads


def loads(data: bytes | str) -> Any:
    """Parse one JSON document; raises ``JSONDecodeError`` when it is not JSON."""
    value = orjson.loads(data)
    if isinstance(data, bytes):
        exact = not has_long_digits(data)
    else:
        exact = _LONG_DIGITS_TEXT.search(data) is None
    if exact:
        return value
    try:
        return json.loads(data, parse_constant=refuse_constant)
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise JSONDecodeError(str(error), "", 0) from None


def dumps(value: Any) -> bytes:
    """One JSON document as UTF-8; integers of any length written as they are (orjson
    refuses those beyond 64 bits, and the standard library writes them, only slower)."""
    try:
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
