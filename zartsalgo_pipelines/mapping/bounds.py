"""What a failure keeps of a bad value, and how deep a record may nest.

A dead letter must always be storable, whatever the row held: the value a failure records is
bounded (a long text is cut and says so, a deep or large structure becomes a cut JSON text), so
a reason stays short and the failures column stays within JSON's depth limit. The record itself
is kept whole in the dead letter's payload (``dead_letter_payload``).
"""

import hashlib
import json
import math
from typing import Any

import orjson

from zartsalgo_pipelines.tables.limits import JSON_MAX_DEPTH, ROW_PAYLOAD_MAX_BYTES

SHOWN_CHARS = 120  # of a value, in a reason
KEPT_CHARS = 200  # of a value, in a failure
KEPT_DEPTH = 4  # a failure is stored as [[field, check, value]]: two levels of its own
REASON_MAX_CHARS = 4000  # a reason names at most every field once; this bounds a wide spec too
TOO_DEEP_KEY = "too_deep_json"  # a dead letter's payload when the record nests too deep
TOO_LARGE_KEY = "too_large_payload"  # a dead letter's payload when the row is too large to keep


def json_depth(value: Any) -> int:
    """Levels of nesting: 0 for a scalar, 1 for ``[]`` or ``{"a": 1}`` (no recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
            deepest = max(deepest, depth + 1)
    return deepest


def too_deep(payload: bytes, record: Any) -> int | None:
    """The record's depth if it nests deeper than the JSON columns take, else None.

    A payload with no more brackets than the limit cannot nest deeper (brackets inside strings
    only add to the count), which spares walking nearly every record.
    """
    if payload.count(b"{") + payload.count(b"[") <= JSON_MAX_DEPTH:
        return None
    depth = json_depth(record)
    return depth if depth > JSON_MAX_DEPTH else None


def too_large(payload: bytes) -> int | None:
    """The payload's size if it is larger than a row may be (``ROW_PAYLOAD_MAX_BYTES``)."""
    return len(payload) if len(payload) > ROW_PAYLOAD_MAX_BYTES else None


def kept_or_marker(text: str, held: bytes) -> str:
    """``text`` (a dead letter's payload) when it fits a row; else a marker of what was
    ``held``, its size and SHA-256, so it can be found in the provider's export. A longer text
    would exceed MySQL's max_allowed_packet and lose its whole chunk."""
    if len(text) * 4 <= ROW_PAYLOAD_MAX_BYTES or len(text.encode()) <= ROW_PAYLOAD_MAX_BYTES:
        return text
    marker = {"bytes": len(held), "sha256": hashlib.sha256(held).hexdigest()}
    return json.dumps({TOO_LARGE_KEY: marker})


class _Digits(str):
    """An integer beyond 64 bits as its digits (no JSON column keeps it as a number): a reason
    quotes it as the number that was sent, without the quotes of a text."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__str__(self)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def bounded(value: Any) -> Any:
    """``value`` as a failure keeps it: short texts, numbers and small structures unchanged;
    anything longer, deeper or not representable in JSON as a cut text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else _Digits(_cut(str(value), KEPT_CHARS))
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return _cut(value, KEPT_CHARS)
    if isinstance(value, dict | list):
        text = canonical_text(value)
        if len(text) <= KEPT_CHARS and json_depth(value) <= KEPT_DEPTH:
            return value
        return _cut(text, KEPT_CHARS)
    return _cut(str(value), KEPT_CHARS)


def shown(value: Any) -> str:
    """A value as a reason shows it: its repr (control characters escaped), cut short."""
    return "nothing" if value is None else _cut(repr(value), SHOWN_CHARS)


def canonical_text(value: Any) -> str:
    return canonical_json(value).decode()


_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def canonical_payloads(records: list[Any]) -> list[bytes]:
    """``canonical_json`` of each record, in one comprehension: the call a row cost a tenth of
    the work. A record orjson refuses sends the list through ``canonical_json`` one by one."""
    dumps, option = orjson.dumps, _CANONICAL
    try:
        return [bytes(memoryview(dumps(r, option=option, default=str))) for r in records]
    except (orjson.JSONEncodeError, TypeError):
        return [canonical_json(r) for r in records]


def canonical_json(record: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same record hashes the same in any key order.

    The result is a copy of its own size: orjson hands back its whole output buffer, so a
    600-byte payload held a 4 KB allocation, and a chunk keeps its payloads until it is
    written (~50 MB of peak memory at three 5,000-row chunks in flight). orjson refuses
    integers beyond 64 bits and more than 254 levels of nesting, which a provider may still
    send; the standard library writes those the same way, only slower.
    """
    try:
        payload = orjson.dumps(record, option=_CANONICAL, default=str)
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(
            record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        )
        return text.encode()
    return bytes(memoryview(payload))
