"""Per-field failure counts with a few masked examples, kept in bounded memory during a batch."""

from dataclasses import dataclass, field
from typing import Any

from zartsalgo_pipelines.mapping.apply import MappedChunk

EXAMPLES_PER_FIELD = 3


def mask(value: Any) -> str:
    """A value safe to show in Dagster metadata: shape kept, content hidden."""
    if value is None:
        return "(missing)"
    if isinstance(value, bool | int | float):
        return repr(value)  # numbers carry no personal data and the sign/size is the point
    text = str(value)
    if len(text) <= 2:
        return "*" * len(text)
    middle = "".join("*" if ch.isalnum() else ch for ch in text[1:-1][:40])
    return f"{text[0]}{middle}{text[-1]}"


@dataclass
class FieldFailures:
    count: int = 0
    checks: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


@dataclass
class FailureStats:
    """Accumulates what failed where across the chunks of one or more batches."""

    checked_rows: int = 0  # rows the field map was applied to (not ignored)
    fields: dict[str, FieldFailures] = field(default_factory=dict)

    def add(self, chunk: MappedChunk) -> None:
        self.checked_rows += sum(1 for outcome in chunk.outcomes if outcome != "ignored")
        for failures in chunk.failures.values():
            for failure in failures:
                entry = self.fields.setdefault(failure.field, FieldFailures())
                entry.count += 1
                entry.checks[failure.check] = entry.checks.get(failure.check, 0) + 1
                if len(entry.examples) < EXAMPLES_PER_FIELD:
                    entry.examples.append(mask(failure.value))

    def share(self, target: str) -> float:
        failed = self.fields.get(target, FieldFailures()).count
        return failed / self.checked_rows if self.checked_rows else 0.0
