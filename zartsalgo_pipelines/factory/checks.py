"""Field-map checks: pass, warn or fail against the spec's tolerated failure share."""

import dagster as dg
import sqlalchemy as sa

from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import OUTCOMES, BatchReview
from zartsalgo_pipelines.storage.queries import import_row_counts


def check_name(target: str) -> str:
    return f"{target}_field_map"


def field_check_specs(spec: ProviderSpec, asset: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    """One blocking check per mapped field: above tolerance, downstream proof is not computed."""
    return [
        dg.AssetCheckSpec(
            check_name(entry.target),
            asset=asset,
            blocking=True,
            description=f"`{entry.source}` -> `{entry.target}` ({entry.type}"
            f"{', required' if entry.required else ''}): failed share <= "
            f"{spec.tolerated_failure_share:.0%} of checked rows.",
        )
        for entry in spec.fields
    ]


def field_checks(spec: ProviderSpec, stats: FailureStats) -> list[dg.AssetCheckResult]:
    results = []
    for entry in spec.fields:
        failures = stats.fields.get(entry.target)
        share = stats.share(entry.target)
        severity = (
            dg.AssetCheckSeverity.ERROR
            if share > spec.tolerated_failure_share
            else dg.AssetCheckSeverity.WARN
        )
        results.append(
            dg.AssetCheckResult(
                check_name=check_name(entry.target),
                passed=failures is None,
                severity=severity,
                metadata={
                    "failed_rows": failures.count if failures else 0,
                    "checked_rows": stats.checked_rows,
                    "failed_share": round(share, 4),
                    "tolerated_share": spec.tolerated_failure_share,
                    "by_check": dg.MetadataValue.json(failures.checks if failures else {}),
                    "masked_examples": failures.examples if failures else [],
                },
            )
        )
    return results


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
