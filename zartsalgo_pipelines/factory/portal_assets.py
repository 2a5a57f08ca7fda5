"""The `portal` group's assets: portal_cards -> report_notes, admin_tasks, portal_preview, with
lineage from every provider's client_metrics and the completeness and payload-leak checks.
Thin: the work is in ``proof/``. The jobs, the sensor and the schedule are in ``portal.py``."""

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster._utils.schedules import cron_string_iterator  # no public cron iterator in 1.13

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.factory.asset_shared import marked_only
from zartsalgo_pipelines.factory.resources import ZartsalgoDatabase, database_kind
from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines.specs.loading import load_specs
from zartsalgo_pipelines.specs.models import ProviderSpec

if TYPE_CHECKING:
    from zartsalgo_pipelines.proof.cards import Card
    from zartsalgo_pipelines.proof.payload_scan import Finding

GROUP = "portal"
# Every provider's sync ends with the portal, so two syncs can reach it at once. The portal's
# steps share one pool (limit 1 in both dagster.yaml files): one portal step at a time, never
# two opening the same admin task (its open_key is unique) or rewriting the same cards at once.
POOL = "portal"

# The portal follows every materialization of a provider's client_metrics that did not include
# the portal itself, however it was started (a group selection, `dg launch`, the UI, the Celery
# job). This is `eager()` without its `~any_deps_missing()` (a paused provider's client_metrics
# is never materialized, so eager would never fire) and without `newly_missing()` (an empty
# portal has nothing to show until some provider has synced). `any_deps_updated()` leaves out
# an update whose run also selected the portal asset, so a sync job's portal is not run twice.
FOLLOWS_CLIENT_METRICS = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after a client_metrics update without the portal")


KEYS = {
    name: dg.AssetKey([GROUP, name])
    for name in ("portal_cards", "report_notes", "admin_tasks", "portal_preview")
}


REQUIRED = (
    "label",
    "source_label",
    "current_display",
    "baseline_display",
    "baseline_kind",
    "status",
    "next_action",
)


LATEST_ROWS = 12  # metadata stays small (Dagster's MySQL event columns are 64 KB)


def portal_specs() -> list[ProviderSpec]:
    """Every provider spec; a spec that does not load fails the step without retries."""
    try:
        return [loaded.spec for loaded in load_specs().values()]
    except ProviderSpecError as error:
        raise dg.Failure(str(error), allow_retries=False) from None


def preview_dir() -> Path:
    return settings.data_dir() / "portal_preview"


def next_update(spec: ProviderSpec) -> dt.datetime | None:
    """The provider's next scheduled sync in its schedule's zone, if it has a schedule."""
    if spec.schedule is None:
        return None
    now = proof_now().replace(tzinfo=dt.UTC).timestamp()
    return next(cron_string_iterator(now, spec.schedule.cron, spec.schedule.timezone))


def _scan_result(findings: list["Finding"]) -> dg.AssetCheckResult:
    # Where, never what: the leaked value itself must not reach Dagster's metadata either.
    places = [f"{f.table}#{f.row_id}.{f.column} ({f.provider_key} {f.kind})" for f in findings]
    return dg.AssetCheckResult(
        check_name="no_raw_payload_values",
        passed=not findings,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"findings": len(findings), "where": places[:20]},
    )


def _rebuilt(clients: frozenset[str] | None) -> str:
    if clients is None:
        return "all"
    named = sorted(clients)
    more = f" and {len(named) - LATEST_ROWS} more" if len(named) > LATEST_ROWS else ""
    return (", ".join(named[:LATEST_ROWS]) + more) or "none"


def _latest_table(cards: list["Card"]) -> str:
    latest: dict[tuple[str, str, str], Card] = {}
    for card in cards:
        latest[(card.client_key, card.provider_key, card.metric_key)] = card
    lines = [
        f"| {c.client_key} | {c.label} | {c.period_label} | {c.current_display} | "
        f"{c.baseline_display} | {c.change_display} | {c.status} | {c.visibility} |"
        for c in list(latest.values())[:LATEST_ROWS]
    ]
    return (
        "| client | card | period | current | baseline | change | status | visibility |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(lines)
    )


def build_portal_assets(
    metric_keys: Sequence[dg.AssetKey], owners: Sequence[str]
) -> list[dg.AssetsDefinition]:
    common: dict[str, Any] = {
        "group_name": GROUP,
        "owners": sorted(set(owners)),
        "kinds": {"python", database_kind()},
        "pool": POOL,
        "automation_condition": FOLLOWS_CLIENT_METRICS,
    }
    return [
        _portal_cards_asset(common, metric_keys),
        _report_notes_asset(common),
        _admin_tasks_asset(common),
        _portal_preview_asset(common),
    ]


CARD_CHECKS = [
    dg.AssetCheckSpec(
        "cards_complete",
        asset=KEYS["portal_cards"],
        description="Every card has source, baseline, current value, status and next action.",
    ),
    dg.AssetCheckSpec(
        "no_raw_payload_values",
        asset=KEYS["portal_cards"],
        blocking=True,
        description="No email, phone, name, message or external id of the "
        "covered batches' raw payloads is in a portal-facing table.",
    ),
]


def _portal_cards_asset(
    common: dict[str, Any], metric_keys: Sequence[dg.AssetKey]
) -> dg.AssetsDefinition:
    @dg.asset(key=KEYS["portal_cards"], deps=list(metric_keys), check_specs=CARD_CHECKS, **common)
    def portal_cards(
        context: dg.AssetExecutionContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.MaterializeResult:
        """What clients see for every metric and period: formatted values, the baseline used,
        status, next action and visibility (visible / caveated / hidden with the reason)."""
        from zartsalgo_pipelines.incidents.notify import notify
        from zartsalgo_pipelines.proof.impact import refresh_impact
        from zartsalgo_pipelines.proof.payload_scan import scan
        from zartsalgo_pipelines.proof.refresh import refresh_portal_cards, summary

        specs = portal_specs()
        with zartsalgo_db.engine().begin() as conn:
            # A webhook run rebuilds the clients its batches marked, when that equals a full
            # rebuild; every other run (the hourly refresh: what time changes) rebuilds all.
            refreshed = refresh_portal_cards(conn, specs, marked_only=marked_only(context))
            refresh_impact(conn, specs, next_update)
            findings = scan(conn, specs)
        notify(refreshed.events)  # after the commit: never announce what was rolled back
        cards = refreshed.cards
        incomplete = [c.id for c in cards if not all(getattr(c, k) for k in REQUIRED)]
        counts = summary(cards)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(cards),
                "clients_rebuilt": _rebuilt(refreshed.clients),
                "latest": dg.MetadataValue.md(_latest_table(cards)),
                "by_status": dg.MetadataValue.json(counts["by_status"]),
                "by_visibility": dg.MetadataValue.json(counts["by_visibility"]),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="cards_complete",
                    passed=not incomplete,
                    metadata={"incomplete_cards": incomplete[:20]},
                ),
                _scan_result(findings),
            ],
        )

    return portal_cards


def _report_notes_asset(common: dict[str, Any]) -> dg.AssetsDefinition:
    @dg.asset(
        key=KEYS["report_notes"],
        deps=[KEYS["portal_cards"]],
        check_specs=[
            dg.AssetCheckSpec("no_raw_payload_values", asset=KEYS["report_notes"], blocking=True)
        ],
        **common,
    )
    def report_notes(zartsalgo_db: ZartsalgoDatabase) -> dg.MaterializeResult:
        """One plain-language paragraph per client and period, built from the shown cards."""
        from zartsalgo_pipelines.proof.notes import build_notes
        from zartsalgo_pipelines.proof.payload_scan import scan

        specs = portal_specs()
        with zartsalgo_db.engine().begin() as conn:
            notes = build_notes(conn, specs)
            findings = scan(conn, specs)
        shown = [n for n in notes if n["visibility"] != "hidden"]
        latest = "\n\n".join(
            f"**{n['client_key']}, {n['period_label']}**: {n['text'][:400]}" for n in shown[-5:]
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(notes),
                "shown": len(shown),
                "latest": dg.MetadataValue.md(latest or "no shown note"),
            },
            check_results=[_scan_result(findings)],
        )

    return report_notes


def _admin_tasks_asset(common: dict[str, Any]) -> dg.AssetsDefinition:
    @dg.asset(key=KEYS["admin_tasks"], deps=[KEYS["portal_cards"]], **common)
    def admin_tasks(zartsalgo_db: ZartsalgoDatabase) -> dg.MaterializeResult:
        """Tasks for the providers' owners: off target, steep declines, missing data, cards
        hidden by a data problem; one open per client, metric and kind, resolved automatically."""
        from zartsalgo_pipelines.proof.tasks import refresh_tasks
        from zartsalgo_pipelines.storage.proof.tasks import task_rows

        with zartsalgo_db.engine().begin() as conn:
            change = refresh_tasks(conn, portal_specs())
            open_rows = task_rows(conn, open_only=True)
        lines = [
            f"| {t['kind']} | {t['message'][:160]} | {t['due_at']:%Y-%m-%d} |"
            for t in open_rows[:LATEST_ROWS]
        ]
        return dg.MaterializeResult(
            metadata={
                "opened": change.opened,
                "resolved": change.resolved,
                "open": change.still_open,
                "open_tasks": dg.MetadataValue.md(
                    "| kind | task | due |\n|---|---|---|\n" + "\n".join(lines)
                ),
            }
        )

    return admin_tasks


def _portal_preview_asset(common: dict[str, Any]) -> dg.AssetsDefinition:
    @dg.asset(
        key=KEYS["portal_preview"], deps=[KEYS["portal_cards"], KEYS["report_notes"]], **common
    )
    def portal_preview(zartsalgo_db: ZartsalgoDatabase) -> dg.MaterializeResult:
        """Static HTML preview: one page per client (shown cards only) and per provider (hidden
        cards with their reasons). Open the `index` path in a browser."""
        from zartsalgo_pipelines.proof.preview import write_preview

        with zartsalgo_db.engine().connect() as conn:
            index = write_preview(conn, portal_specs(), preview_dir(), next_update)
        return dg.MaterializeResult(
            metadata={
                "index": dg.MetadataValue.path(str(index)),
                "open": dg.MetadataValue.url(index.as_uri()),
                "pages": len(list(index.parent.glob("*.html"))),
            }
        )

    return portal_preview
