"""Per-field failure counts with a few masked examples, kept in bounded memory during a batch."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from zartsalgo_pipelines.specs.models import ProviderSpec

if TYPE_CHECKING:  # pandas comes with apply; the checks and alerts that read stats need none
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

    def add(self, chunk: "MappedChunk") -> None:
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


RECORD = "record"  # the failure field of a row that could not be parsed into a record at all
Level = Literal["pass", "warn", "error"]


@dataclass(frozen=True)
class Tolerance:
    """How a provider's failed shares are judged (the spec's tolerance keys)."""

    tolerated: float  # above it: error, client_metrics is blocked
    warning: float  # above it (and at or below tolerated): warn
    min_rows: int  # shares are computed over at least this many rows


@dataclass(frozen=True)
class Verdict:
    """One field's failures judged against the tolerance."""

    failed: int
    checked: int
    share: float  # failed / max(checked, min_rows)
    level: Level


def tolerance_of(spec: ProviderSpec) -> Tolerance:
    """The spec's tolerance keys, with the warning share defaulting to half the tolerance."""
    tolerated = spec.tolerated_failure_share
    warning = spec.warning_failure_share
    return Tolerance(tolerated, tolerated / 2 if warning is None else warning, spec.min_rows)


def judge(failed: int, checked: int, tolerance: Tolerance) -> Verdict:
    """Pass at or below the warning share, warn up to the tolerance, error above it.

    A batch smaller than ``min_rows`` is judged leniently, as if it had ``min_rows`` rows: one
    bad row among three is 1/min_rows, not a third, while a batch that fails throughout still
    fails (19 of 19 with min_rows 20 is 95 %).
    """
    share = failed / max(checked, tolerance.min_rows, 1)
    level: Level = "pass"
    if share > tolerance.tolerated:
        level = "error"
    elif share > tolerance.warning:
        level = "warn"
    return Verdict(failed, checked, share, level)


def field_verdicts(
    stats: FailureStats, targets: list[str], tolerance: Tolerance
) -> dict[str, Verdict]:
    """The verdict of every mapped target and of unparseable rows (``RECORD``)."""
    failed = {target: stats.fields.get(target, FieldFailures()).count for target in targets}
    failed[RECORD] = stats.fields.get(RECORD, FieldFailures()).count
    return {target: judge(n, stats.checked_rows, tolerance) for target, n in failed.items()}
