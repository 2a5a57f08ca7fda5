"""Asset checks that say the truth about a mapping run (rules: docs/checks_and_files.md).

Each field's check passes at or below the warning share, fails with WARN up to the tolerance
and with ERROR above it. The field checks are not blocking: a blocking check fails its step,
and on ``mapped_records`` that stopped ``dead_letter`` after the rows were committed. The one
blocking check, ``failed_share_within_tolerance``, sits on ``dead_letter``, the only upstream
step of ``client_metrics`` alone: above the tolerance the rows and their dead letters are
stored and shown, and only the client-facing metrics wait. A blocking check holds only the
steps after it in the same run, so ``client_metrics`` materialized on its own judges the same
verdict itself (``gate_verdict``) and fails while the gate is closed.
"""

from dataclasses import dataclass

import dagster as dg
import sqlalchemy as sa

from zartsalgo_pipelines.mapping.stats import (
    RECORD,
    FailureStats,
    FieldFailures,
    Verdict,
    field_verdicts,
    tolerance_of,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import OUTCOMES, BatchReview
from zartsalgo_pipelines.storage.queries import import_row_counts

GATE = "failed_share_within_tolerance"
PARSEABLE = "rows_parseable"
# mapped_records metadata the gate on dead_letter reads (it runs in another step).
ABOVE_TOLERANCE = "fields_above_tolerance"
_SEVERITY = {"warn": dg.AssetCheckSeverity.WARN, "error": dg.AssetCheckSeverity.ERROR}


def check_name(target: str) -> str:
    return PARSEABLE if target == RECORD else f"{target}_field_map"


def field_check_specs(spec: ProviderSpec, asset: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    """One check per mapped field and one for rows that could not be parsed at all."""
    tolerance = tolerance_of(spec)
    rule = (
        f"passes up to {tolerance.warning:.1%} failed, WARN up to {tolerance.tolerated:.1%}, "
        f"ERROR above (blocks client_metrics); shares over at least {tolerance.min_rows} rows"
    )
    specs = [
        dg.AssetCheckSpec(
            check_name(entry.target),
            asset=asset,
            description=f"`{entry.described_source}` -> `{entry.target}` ({entry.type}"
            f"{', required' if entry.required else ''}): {rule}.",
        )
        for entry in spec.fields
    ]
    specs.append(
        dg.AssetCheckSpec(
            PARSEABLE,
            asset=asset,
            description="Rows that are not a record (invalid JSON or CSV, a line a stray quote "
            f"swallowed): {rule}.",
        )
    )
    return specs


def gate_spec(asset: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        GATE,
        asset=asset,
        blocking=True,
        description="No field of the last mapping run failed above tolerated_failure_share; "
        "when one did, client_metrics is not computed (the rows and dead letters are stored).",
    )


def field_checks(
    spec: ProviderSpec, stats: FailureStats
) -> tuple[list[dg.AssetCheckResult], list[str]]:
    """The field check results, and the targets above the tolerance (for the gate)."""
    tolerance = tolerance_of(spec)
    verdicts = field_verdicts(stats, [e.target for e in spec.fields], tolerance)
    results = [
        _result(target, verdict, stats.fields.get(target), tolerance.tolerated)
        for target, verdict in verdicts.items()
    ]
    return results, [t for t, v in verdicts.items() if v.level == "error"]


def _result(
    target: str, verdict: Verdict, failures: FieldFailures | None, tolerated: float
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=check_name(target),
        passed=verdict.level == "pass",
        severity=_SEVERITY.get(verdict.level, dg.AssetCheckSeverity.WARN),
        metadata={
            "failed_rows": verdict.failed,
            "checked_rows": verdict.checked,
            "failed_share": round(verdict.share, 4),
            "tolerated_share": tolerated,
            "by_check": dg.MetadataValue.json(failures.checks if failures else {}),
            "masked_examples": failures.examples if failures else [],
        },
    )


# How many of mapped_records' latest materializations the gate reads back to find the latest
# one that mapped something (a run that found the work held by another run maps nothing).
GATE_LOOKBACK = 20


@dataclass(frozen=True)
class GateVerdict:
    """What the latest mapping run found above the tolerance (nothing: the gate is open)."""

    above: list[str]
    run_id: str

    def closed_reason(self, spec_key: str) -> str:
        checks = ", ".join(check_name(t) for t in self.above)
        return (
            f"{spec_key}: {GATE} failed: the latest mapping run ({self.run_id}) found {checks} "
            "above tolerated_failure_share; client_metrics waits for a mapping run within it "
            "(the rows and dead letters are stored)"
        )


def gate_verdict(instance: dg.DagsterInstance, mapped: dg.AssetKey) -> GateVerdict:
    """The fields the latest ``mapped_records`` materialization that mapped anything found
    above the tolerance, whichever run (and job, or asset selection) materialized it."""
    records = instance.fetch_materializations(mapped, limit=GATE_LOOKBACK).records
    for record in records:
        materialization = record.asset_materialization
        entry = materialization.metadata.get(ABOVE_TOLERANCE) if materialization else None
        if entry is not None:
            return GateVerdict(list(entry.value), record.run_id)  # type: ignore[arg-type]
    return GateVerdict([], "")


def gate_check(instance: dg.DagsterInstance, mapped: dg.AssetKey) -> dg.AssetCheckResult:
    """Judge the latest ``mapped_records`` materialization by the fields it found above."""
    verdict = gate_verdict(instance, mapped)
    return dg.AssetCheckResult(
        check_name=GATE,
        passed=not verdict.above,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            ABOVE_TOLERANCE: verdict.above,
            "checks": [check_name(t) for t in verdict.above],
            "mapped_records_run": verdict.run_id,
        },
    )


def accounting_check(conn: sa.Connection, reviews: list[BatchReview]) -> dg.AssetCheckResult:
    """Counters add up, and the import rows agree with the counters, for every batch."""
    problems = []
    for batch in reviews:
        rows = import_row_counts(conn, batch.batch_id)
        counters = {o: getattr(batch, f"rows_{o}") for o in OUTCOMES}
        agrees = all(rows.get(o, 0) == n for o, n in counters.items())
        if not (batch.adds_up and agrees and sum(rows.values()) == batch.rows_total):
            problems.append(batch.batch_id)
    return dg.AssetCheckResult(
        check_name="rows_accounted",
        passed=not problems,
        metadata={"batches": [r.batch_id for r in reviews], "inconsistent_batches": problems},
    )
