"""`zartsalgo`: the data owner's command line, on the same code paths as the Dagster assets.

    zartsalgo validate                       every spec, with clear errors
    zartsalgo status                         connection, last success, staleness, alerts
    zartsalgo test-sync PROVIDER [--limit N] [--file PATH]   what a sync would do; writes nothing
    zartsalgo replay PROVIDER [--id N ...] [--reason-contains TEXT] [--wait S]
    zartsalgo resolve PROVIDER ID ... --state resolved|ignored --note TEXT
    zartsalgo manual PROVIDER FILE --by NAME --reason TEXT [--wait S]   CSV, JSON(L), .xlsx
    zartsalgo check-connection PROVIDER      call the provider once: connected / auth_failed / ...
    zartsalgo webhooks serve [--host H] [--port P]   the webhook receiver
    zartsalgo proof show|explain ...; zartsalgo portal refresh|preview|go-live ...  (cli_proof.py)

Every command takes --json for scripts and exits non-zero on failure. The database is
ZARTSALGO_DATABASE_URL (or the embedded SQLite file), migrated with `alembic upgrade head`.
Each command imports what it uses when it runs (cli_support.py says why)."""

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from zartsalgo_pipelines import cli_dead_letters, cli_webhooks
from zartsalgo_pipelines.cli_support import (
    Commands,
    LazyCommand,
    emit,
    json_option,
    open_engine,
    provider_of,
    table,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from zartsalgo_pipelines.specs.models import ProviderSpec

# Loaded only when used (they import the proof layer): `zartsalgo --help` lists them from here.
LAZY = {
    "proof": LazyCommand(
        "zartsalgo_pipelines.cli_proof",
        "proof",
        "What a client sees, and how each number came about.",
    ),
    "portal": LazyCommand(
        "zartsalgo_pipelines.cli_proof", "portal", "The portal preview and the go-live gate."
    ),
}


@click.group(cls=Commands, lazy=LAZY, help=__doc__.split("\n\n")[0])
def main() -> None:
    pass


@main.command()
@click.option(
    "--defs",
    "defs_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="a folder of <provider>/defs.yaml to check instead of the project's defs/",
)
@json_option
def validate(defs_dir: Path | None, as_json: bool) -> None:
    """Validate every provider spec under zartsalgo_pipelines/defs/ (or --defs).

    Each refusal names the file, the line, the field path and the rule; a refused value is
    shown unless it may be a secret written inline."""
    from zartsalgo_pipelines.specs.errors import ProviderSpecError
    from zartsalgo_pipelines.specs.loading import load_specs

    try:
        specs = load_specs(defs_dir) if defs_dir else load_specs()
    except ProviderSpecError as error:
        if as_json:
            click.echo(json.dumps({"valid": False, "error": str(error)}))
            raise SystemExit(1) from None
        raise click.ClickException(str(error)) from None
    rows = [
        [k, s.spec.status, s.spec.owner, len(s.spec.fields), s.spec.version]
        for k, s in specs.items()
    ]
    emit(
        as_json,
        {"valid": True, "providers": {k: s.spec.version for k, s in specs.items()}},
        table(["provider", "status", "owner", "fields", "spec version"], rows)
        + f"\n{len(specs)} provider spec(s) valid",
    )


@main.command()
@json_option
def status(as_json: bool) -> None:
    """Per provider: connection status, last success, staleness, open alerts and dead letters.

    Stuck batches are swept first (a dead process of this host, a timed-out heartbeat), so the
    status never shows a crashed sync as still running.
    """
    from zartsalgo_pipelines.clock import utcnow
    from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches
    from zartsalgo_pipelines.specs.loading import load_specs

    specs = load_specs()
    engine = open_engine()
    swept = {key: sweep_stuck_batches(engine, loaded.spec) for key, loaded in specs.items()}
    now = utcnow()
    with engine.connect() as conn:
        report = [
            _provider_status(conn, loaded.spec, now, [b.batch_id for b in swept[key]])
            for key, loaded in specs.items()
        ]
    emit(as_json, report, _status_table(report))


def _provider_status(
    conn: "sa.Connection", spec: "ProviderSpec", now: dt.datetime, swept_batches: list[int]
) -> dict[str, Any]:
    """One provider's entry in ``zartsalgo status --json``."""
    from zartsalgo_pipelines.incidents.alerts import open_alerts
    from zartsalgo_pipelines.incidents.freshness import freshness
    from zartsalgo_pipelines.incidents.staleness import sync_is_stale
    from zartsalgo_pipelines.storage.queries import (
        connection_status,
        dead_letter_summary,
        last_successful_sync,
    )

    connection = connection_status(conn, spec.key)
    last = last_successful_sync(conn, spec.key)
    hours = None if last is None else round((now - last).total_seconds() / 3600, 1)
    # Only a connected provider is expected to sync, so only a connected one can be stale.
    stale = spec.status == "connected" and sync_is_stale(last, now, spec.stale_after_hours)
    fresh = freshness(conn, spec, now)  # is new data still arriving, beside the sync's age
    newest = fresh.provider.newest if fresh else None
    stored = fresh.last_stored_at if fresh else None
    return {
        "provider": spec.key,
        "spec_status": spec.status,
        "connection_status": connection or "never synced",
        "last_success": last.isoformat(timespec="seconds") if last else None,
        "hours_since_success": hours,
        "stale": stale,
        "newest_record": newest.isoformat(timespec="seconds") if newest else None,
        "last_new_or_changed": stored.isoformat(timespec="seconds") if stored else None,
        "silent_clients": [s.client_key for s in fresh.silent_clients] if fresh else [],
        "open_alerts": [a["kind"] for a in open_alerts(conn, spec.key)],
        "open_dead_letters": dead_letter_summary(conn, spec.key)["open"],
        "swept_batches": swept_batches,
    }


def _status_table(report: list[dict[str, Any]]) -> str:
    return table(
        [
            "provider",
            "connection",
            "last success (UTC)",
            "hours ago",
            "stale",
            "newest record (UTC)",
            "silent clients",
            "alerts",
            "dead letters",
        ],
        [
            [
                r["provider"],
                r["connection_status"],
                r["last_success"],
                r["hours_since_success"],
                "yes" if r["stale"] else "no",
                r["newest_record"],
                ", ".join(r["silent_clients"]) or "-",
                ", ".join(r["open_alerts"]) or "-",
                r["open_dead_letters"],
            ]
            for r in report
        ],
    )


@main.command("test-sync")
@click.argument("provider")
@click.option("--limit", type=click.IntRange(min=1), help="at most this many rows")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="read this file instead of the provider's source",
)
@json_option
def test_sync_command(provider: str, limit: int | None, path: Path | None, as_json: bool) -> None:
    """Show what a sync would create, update, fail, skip as duplicate or ignore; write nothing."""
    from zartsalgo_pipelines.errors import ZartsalgoError
    from zartsalgo_pipelines.ops.test_sync import dry_run, source_rows
    from zartsalgo_pipelines.sources.files import file_rows
    from zartsalgo_pipelines.storage.import_batches import OUTCOMES

    loaded = provider_of(provider)
    spec = loaded.spec
    rows = file_rows(path, spec.text_encoding) if path is not None else source_rows(loaded)
    show = not as_json and sys.stderr.isatty()
    try:
        review = dry_run(
            open_engine(),
            spec,
            rows,
            limit,
            on_chunk=(lambda done: click.echo(f"\rchecked {done:,} rows", err=True, nl=False))
            if show
            else None,
        )
    # Ours (each with a clear, secret-free message), or a file given by hand that is missing.
    except (ZartsalgoError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from None
    if show:
        click.echo(err=True)
    result = review.as_dict()
    failures = [
        [name, check, count, ", ".join(f["masked_examples"])]
        for name, f in result["failures"].items()
        for check, count in f["checks"].items()
    ]
    text = (
        f"test sync of {provider} (nothing written)\n"
        + table(
            ["total", *OUTCOMES], [[review.total, *(review.counts.get(o, 0) for o in OUTCOMES)]]
        )
        + (
            "\n\nfailures by field and check\n"
            + table(["field", "check", "rows", "masked examples"], failures)
            if failures
            else ""
        )
    )
    emit(as_json, result, text)


@main.command("check-connection")
@click.argument("provider")
@json_option
def check_connection_command(provider: str, as_json: bool) -> None:
    """Call the provider once with the configured credentials; update the connection status.

    Exits 0 when connected, 1 otherwise (auth_failed, unreachable, not_configured,
    unexpected_response). A provider whose spec is not `connected` (planned, paused) is only
    asked: its status and incidents stay as they are."""
    from zartsalgo_pipelines.ops.connection_check import check_connection

    loaded = provider_of(provider)
    check = check_connection(open_engine(), loaded.spec, loaded.folder)
    text = (
        f"{provider}: {check.result}\n{check.detail}\nconnection status: {check.connection_status}"
    )
    if not check.recorded:
        text += f" (nothing recorded: the spec says `status: {loaded.spec.status}`)"
    emit(as_json, check.as_dict(), text)
    if check.result != "connected":
        raise SystemExit(1)


cli_dead_letters.register(main)  # `zartsalgo replay`, `resolve`, `manual`
cli_webhooks.register(main)  # `zartsalgo webhooks serve`


if __name__ == "__main__":  # last, so `python -m zartsalgo_pipelines.cli` sees every command
    main()
