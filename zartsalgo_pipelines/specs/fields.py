"""The field map part of a spec: one entry per record field, its declared transforms (scale,
round, constant, default, date format, exponents), and the rows skipped on purpose."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

import pydantic

from zartsalgo_pipelines import numbers
from zartsalgo_pipelines.specs.errors import SpecFieldError, raise_all
from zartsalgo_pipelines.specs.facts import TargetName
from zartsalgo_pipelines.specs.types import Frozen, JmesPath, Regex

FieldType = Literal["string", "integer", "decimal", "boolean", "date", "datetime", "category"]
NUMERIC_TYPES = frozenset({"integer", "decimal"})
DATE_TYPES = frozenset({"date", "datetime"})
TEXT_TYPES = frozenset({"string", "category"})
# A value a provider may send for a boolean field, by its lower-cased text.
BOOLEAN_TEXTS = {
    "true": True, "yes": True, "1": True, "y": True, "t": True,
    "false": False, "no": False, "0": False, "n": False, "f": False,
}  # fmt: skip
Scalar = str | int | float | bool
_SAMPLE = dt.datetime(2026, 8, 29, 13, 45, 30, tzinfo=dt.UTC)


class FieldMapEntry(Frozen):
    """One provider field (or a constant) -> one field of the ZartsAlgo record."""

    source: JmesPath | None = pydantic.Field(
        None,
        description="JMESPath into the provider record, e.g. `contact.email` or "
        "`answers[?field.ref=='budget'].number | [0]`. Exactly one of source, constant.",
    )
    constant: Scalar | None = pydantic.Field(
        None, description="A value every row gets, written as the provider would send it."
    )
    default: Scalar | None = pydantic.Field(
        None, description="Stands in when the source is missing or null (as the provider would "
        "send it: the value map, scale and format apply)."
    )  # fmt: skip
    target: TargetName = pydantic.Field(
        description="Field of the ZartsAlgo record it fills: a column (`submitted_at`), or for "
        "metric_fact a declared dimension or measure (`dimensions.campaign`, `measures.spend`)."
    )
    type: FieldType
    required: bool = False
    label: str = pydantic.Field(min_length=1, max_length=60, description="Simple portal label.")
    unit: str | None = pydantic.Field(None, max_length=40, description="e.g. EUR, requests.")
    values: dict[str, str] | None = pydantic.Field(
        None, description="Value map: provider value -> ZartsAlgo value (statuses, categories)."
    )
    format: str | None = pydantic.Field(
        None,
        description="Text fields: `email` (a named check). Date and datetime fields: the "
        "strftime format the provider writes them in, e.g. `%Y%m%d`.",
    )
    pattern: Regex | None = None
    min: float | None = None
    max: float | None = None
    max_length: pydantic.PositiveInt | None = None
    casefold: bool = pydantic.Field(
        False,
        description="Compare and store the text case-folded (`QR-1` and `qr-1` are one value). "
        "On external_id it is the id rule: ids are otherwise compared exactly, after trimming.",
    )
    scale: Decimal | None = pydantic.Field(
        None,
        allow_inf_nan=False,
        description="Integer and decimal fields: multiply by this, exactly (micros -> units: "
        "0.000001).",
    )
    round: int | None = pydantic.Field(
        None, ge=0, le=18, description="Round half up to this many decimals (after scale)."
    )
    allow_exponent: bool = pydantic.Field(
        False, description="Integer and decimal fields: accept texts such as `1.5e6`."
    )

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "FieldMapEntry":
        raise_all(_entry_errors(self))
        return self

    @property
    def described_source(self) -> str:
        """Where the value comes from, for messages and the mirrored field map."""
        return self.source if self.source is not None else f"constant {self.constant!r}"


def _entry_errors(entry: FieldMapEntry) -> list[SpecFieldError]:
    """Every rule the entry breaks (not only the first), each at the key that breaks it."""
    errors: list[SpecFieldError] = []

    def refuse(key: str, message: str) -> None:
        errors.append(SpecFieldError((key,), f"field `{entry.target}`: {message}"))

    if (entry.source is None) == (entry.constant is None):
        refuse("source", "give exactly one of source, constant")
    if entry.default is not None and entry.source is None:
        refuse("default", "default applies to a source (a constant is never missing)")
    if entry.type == "category" and not entry.values:
        refuse("type", "has type category and needs a `values` map")
    numeric = entry.type in NUMERIC_TYPES
    for key in ("min", "max", "scale", "round", "allow_exponent"):
        if getattr(entry, key) not in (None, False) and not numeric:
            refuse(key, f"{key} applies to integer or decimal only")
    if entry.scale is not None and entry.scale == 0:
        refuse("scale", "scale must not be 0")
    textual = entry.type in TEXT_TYPES
    for key in ("pattern", "max_length", "casefold"):
        if getattr(entry, key) and not textual:
            refuse(key, f"{key} applies to string only")
    format_error = _format_error(entry)
    if format_error:
        refuse("format", format_error)
    else:
        for key in ("constant", "default"):
            problem = value_error(entry, getattr(entry, key))
            if problem:
                refuse(key, f"{key} {getattr(entry, key)!r} {problem}")
    return errors


def _format_error(entry: FieldMapEntry) -> str | None:
    if entry.format is None:
        return None
    if entry.type in TEXT_TYPES:
        return None if entry.format == "email" else "format of a text field is `email`"
    if entry.type not in DATE_TYPES:
        return "format applies to text (`email`) and date or datetime fields (a strftime format)"
    try:
        parsed = dt.datetime.strptime(_SAMPLE.strftime(entry.format), entry.format)
    except ValueError:
        parsed = None
    if "%" not in entry.format or parsed is None or parsed.date() != _SAMPLE.date():
        return (
            f"`{entry.format}` is not a strftime format with year, month and day "
            "(e.g. %Y%m%d, %d.%m.%Y %H:%M)"
        )
    return None


def value_error(entry: FieldMapEntry, value: Any) -> str | None:
    """Why ``value`` (a constant or default, as the provider would send it) cannot fill the
    field, or None; checked at load so a spec that would fail every row is refused."""
    if value is None or entry.type == "string":
        return None
    if entry.type == "category":
        keys = sorted(entry.values or {})
        ok = type(value) is not bool and str(value) in keys
        return None if ok else f"is not one of {', '.join(keys)} (the value map's keys)"
    if entry.type in NUMERIC_TYPES:
        return _number_error(entry, value)
    if entry.type == "boolean":
        ok = type(value) is bool or str(value).strip().lower() in BOOLEAN_TEXTS
        return None if ok else "is not a valid boolean"
    return _date_error(entry, value)


def _number_error(entry: FieldMapEntry, value: Any) -> str | None:
    number = numbers.number_of(value, entry.allow_exponent)
    result = None if number is None else numbers.transformed(number, entry.scale, entry.round)
    if result is None or (entry.type == "integer" and result != result.to_integral_value()):
        return f"is not a valid {entry.type}"
    return None


def _date_error(entry: FieldMapEntry, value: Any) -> str | None:
    text = str(value) if type(value) in (str, int) else None
    try:
        if text is None:
            raise ValueError
        if entry.format:
            dt.datetime.strptime(text.strip(), entry.format)
        else:
            dt.datetime.fromisoformat(text.strip())
    except ValueError:
        where = f" in the format {entry.format}" if entry.format else " (ISO 8601)"
        return f"is not a valid {entry.type}{where}"
    return None


class IgnoreRule(Frozen):
    """Rows the provider sends that the spec skips on purpose (test submissions, spam)."""

    when: JmesPath = pydantic.Field(description="JMESPath that is truthy for rows to ignore.")
    reason: str = pydantic.Field(min_length=3)
