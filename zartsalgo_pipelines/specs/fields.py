"""The field map part of a spec: one entry per record field, and the rows skipped on purpose."""

from typing import Literal

import pydantic

from zartsalgo_pipelines.specs.types import Frozen, Identifier, JmesPath, Regex

FieldType = Literal["string", "integer", "decimal", "boolean", "date", "datetime", "category"]
NUMERIC_TYPES = frozenset({"integer", "decimal"})


class FieldMapEntry(Frozen):
    """One provider field -> one field of the ZartsAlgo record."""

    source: JmesPath = pydantic.Field(
        description="JMESPath into the provider record, e.g. `contact.email` or "
        "`answers[?field.ref=='budget'].number | [0]`."
    )
    target: Identifier = pydantic.Field(description="Column of the ZartsAlgo record it fills.")
    type: FieldType
    required: bool = False
    label: str = pydantic.Field(min_length=1, max_length=60, description="Simple portal label.")
    unit: str | None = pydantic.Field(None, max_length=40, description="e.g. EUR, requests.")
    values: dict[str, str] | None = pydantic.Field(
        None, description="Value map: provider value -> ZartsAlgo value (statuses, categories)."
    )
    format: Literal["email"] | None = pydantic.Field(None, description="A named format check.")
    pattern: Regex | None = None
    min: float | None = None
    max: float | None = None
    max_length: pydantic.PositiveInt | None = None
    casefold: bool = pydantic.Field(
        False,
        description="Compare and store the text case-folded (`QR-1` and `qr-1` are one value). "
        "On external_id it is the id rule: ids are otherwise compared exactly, after trimming.",
    )

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "FieldMapEntry":
        if self.type == "category" and not self.values:
            raise ValueError(f"field `{self.target}` has type category and needs a `values` map")
        numeric = self.type in {"integer", "decimal"}
        if (self.min is not None or self.max is not None) and not numeric:
            raise ValueError(f"field `{self.target}`: min/max apply to integer or decimal only")
        textual = self.type in {"string", "category"}
        if (self.format or self.pattern or self.max_length or self.casefold) and not textual:
            raise ValueError(
                f"field `{self.target}`: format/pattern/max_length/casefold apply to string only"
            )
        return self


class IgnoreRule(Frozen):
    """Rows the provider sends that the spec skips on purpose (test submissions, spam)."""

    when: JmesPath = pydantic.Field(description="JMESPath that is truthy for rows to ignore.")
    reason: str = pydantic.Field(min_length=3)
