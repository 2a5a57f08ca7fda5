"""The incremental cursor of a REST source: parsing a record's cursor value, the value the next
request sends, the high-water mark of an extract, and whether a new mark moves the stored one."""

import datetime as dt
from typing import Any

from zartsalgo_pipelines.jsonpaths import compile_safe_getter
from zartsalgo_pipelines.sources.rest.errors import ExtractError
from zartsalgo_pipelines.specs.rest import IncrementalSpec


def parse_cursor(incremental: IncrementalSpec, value: Any) -> dt.datetime | int | None:
    """A record's cursor value as a comparable datetime (UTC) or integer; None if unusable.

    With a ``format`` (``send_as: date``) a text or number in that format is a date first
    (`20260829`); ISO 8601 and epoch seconds or milliseconds are read as ever.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        if incremental.cursor_type == "integer":
            return int(value)
        formatted = _in_format(incremental.format, value)
        if formatted is not None:
            return formatted
        if isinstance(value, int | float):  # epoch milliseconds or seconds
            seconds = value / 1000 if value > 10**11 else value
            return dt.datetime.fromtimestamp(seconds, dt.UTC)
        parsed = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _in_format(date_format: str | None, value: Any) -> dt.datetime | None:
    if date_format is None or type(value) not in (str, int):
        return None
    try:
        return dt.datetime.strptime(str(value).strip(), date_format).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def store_cursor(value: dt.datetime | int) -> str:
    """How a cursor value is kept on the batch and the connection."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def start_cursor(
    incremental: IncrementalSpec, stored: str | None, *, full_resync: bool = False
) -> dt.datetime | int:
    """Where an extract starts: the stored high-water mark minus the lookback, or the
    initial value itself on a first or full sync (the lookback re-reads before a mark that
    was stored; it never moves the start before `initial_value`).

    Raises:
        ExtractError: the stored (or initial) value is not of the spec's ``cursor_type``.
    """
    first = full_resync or stored is None
    raw = incremental.initial_value if first else stored
    value = parse_cursor(incremental, raw)
    if value is None:
        raise ExtractError(f"incremental cursor value {raw!r} is not a {incremental.cursor_type}")
    if first:
        return value
    if isinstance(value, dt.datetime):
        return value - dt.timedelta(seconds=incremental.lookback_seconds)
    return value - int(incremental.lookback_seconds)


def send_value(incremental: IncrementalSpec, value: dt.datetime | int) -> str | int:
    """A cursor as the request carries it, by ``send_as``."""
    if not isinstance(value, dt.datetime):
        return value
    if incremental.send_as == "epoch_seconds":
        return int(value.timestamp())
    if incremental.send_as == "epoch_milliseconds":
        return int(value.timestamp() * 1000)
    if incremental.send_as == "date":
        return value.strftime(incremental.date_format)
    return store_cursor(value.replace(microsecond=0))


def cursor_to_send(
    incremental: IncrementalSpec, stored: str | None, *, full_resync: bool = False
) -> str | int:
    """The value the first request of an extract carries (``start_cursor``, as sent)."""
    return send_value(incremental, start_cursor(incremental, stored, full_resync=full_resync))


def start_value(
    incremental: IncrementalSpec | None, stored: str | None, *, full_resync: bool = False
) -> str | int | None:
    """What the first request of an extract sends: ``cursor_to_send`` for an incremental
    source, None for one that is not incremental."""
    if incremental is None:
        return None
    return cursor_to_send(incremental, stored, full_resync=full_resync)


class HighWaterMark:
    """The highest cursor value among the records of an extract."""

    def __init__(self, incremental: IncrementalSpec) -> None:
        self.incremental = incremental
        # An expression that fails on a record gives no usable value (the record fails mapping).
        self._get = compile_safe_getter(incremental.cursor_path)
        self.value: dt.datetime | int | None = None

    def see(self, records: list[Any]) -> None:
        """Raise the mark to the highest usable cursor value among ``records``."""
        for record in records:
            if not isinstance(record, dict):
                continue
            value = parse_cursor(self.incremental, self._get(record))
            if value is not None and (self.value is None or value > self.value):  # type: ignore[operator]
                self.value = value

    @property
    def stored(self) -> str | None:
        """The mark as it is stored, or None when no record had a usable value."""
        return None if self.value is None else store_cursor(self.value)


def newer_cursor(incremental: IncrementalSpec, current: str | None, candidate: str | None) -> bool:
    """Whether ``candidate`` moves the stored cursor forward (it never moves back)."""
    new = parse_cursor(incremental, candidate)
    if new is None:
        return False
    old = parse_cursor(incremental, current)
    return old is None or new > old  # type: ignore[operator]
