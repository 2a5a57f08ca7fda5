"""`zartsalgo`: the data owner's command line, on the same code paths as the Dagster assets.

    zartsalgo validate                       every spec, with clear errors
    zartsalgo status                         connection, last success, staleness, alerts
    zartsalgo test-sync PROVIDER [--limit N] [--file PATH]   what a sync would do; writes nothing
    zartsalgo replay PROVIDER [--id N ...] [--reason-contains TEXT]
    zartsalgo resolve PROVIDER ID ... --state resolved|ignored --note TEXT
    zartsalgo manual PROVIDER FILE --by NAME --reason TEXT
    zartsalgo check-connection PROVIDER      call the provider once: connected / auth_failed / ...
    zartsalgo webhooks serve [--host H] [--port P]   the webhook receiver

Every command takes --json for scripts and exits non-zero on failure. The database is
ZARTSALGO_DATABASE_URL (or the embedded SQLite file), migrated with `alembic upgrade head`.
"""

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from zartsalgo_pipelines import cli_proof, settings
from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.ops.connection_check import check_connection
from zartsalgo_pipelines.ops.manual import manual_entry
from zartsalgo_pipelines.ops.replay import replay_dead_letters, resolve_dead_letters
from zartsalgo_pipelines.ops.test_sync import dry_run, source_rows
from zartsalgo_pipelines.proof.alerts import open_alerts
from zartsalgo_pipelines.sources.files import file_rows
from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines.specs.loading import LoadedSpec, load_specs, provider_spec
from zartsalgo_pipelines.storage.engine import create_engine, mask_url
from zartsalgo_pipelines.storage.import_batches import OUTCOMES, BatchReview
from zartsalgo_pipelines.storage.queries import (
    connection_status,
    dead_letter_summary,
    last_successful_sync,
)


def _database_down(error: BaseException) -> click.ClickException:
    """One line naming the database (password masked) and why it cannot be used."""
    url = settings.database_url()
    try:
        shown, password = mask_url(url), sa.engine.make_url(url).password
    except sa.exc.ArgumentError:
        shown, password = "ZARTSALGO_DATABASE_URL (not a database URL)", None
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if password:  # drivers do not echo it today; this line must never start to
        reason = reason.replace(str(password), "***")
    return click.ClickException(f"database {shown} is unavailable: {reason}")


# What a command meets when the database is down, unreachable or misnamed.
_DATABASE_ERRORS = (sa.exc.DBAPIError, sa.exc.ArgumentError, OSError)


def _engine() -> sa.Engine:
    url = settings.database_url()
    try:
        engine = create_engine(url)
        schema = sa.inspect(engine).has_table("data_import_batches")
    except _DATABASE_ERRORS as error:
        raise _database_down(error) from None
    if not schema:
        raise click.ClickException(
            f"{mask_url(url)} has no ZartsAlgo schema; run `alembic upgrade head` first"
        )
    return engine


def _provider(key: str) -> LoadedSpec:
    try:
        return provider_spec(key)
    except ProviderSpecError as error:
        raise click.ClickException(str(error)) from None


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers], *[["-" if v is None else str(v) for v in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _emit(as_json: bool, payload: Any, text: str) -> None:
    click.echo(json.dumps(payload, default=str, indent=2) if as_json else text)


def _review_text(review: BatchReview) -> str:
    counts = [getattr(review, f"rows_{o}") for o in OUTCOMES]
    return f"batch {review.batch_id} ({review.source_kind}) {review.status}\n" + _table(
        ["total", *OUTCOMES], [[review.rows_total, *counts]]
    )


class _Commands(click.Group):
    """Every command, and every group registered on it, ends a refused spec or a database
    that went away with one clear line and exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProviderSpecError as error:
            raise click.ClickException(str(error)) from None
        except sa.exc.DBAPIError as error:
            raise _database_down(error) from None


@click.group(cls=_Commands, help=__doc__.split("\n\n")[0])
def main() -> None:
    pass


@main.command()
@click.option(
    "--defs",
    "defs_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="a folder of <provider>/defs.yaml to check instead of the project's defs/",
)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def validate(defs_dir: Path | None, as_json: bool) -> None:
    """Validate every provider spec under zartsalgo_pipelines/defs/ (or --defs).

    Each refusal names the file, the line, the field path and the rule; a refused value is
    shown unless it may be a secret written inline."""
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
    _emit(
        as_json,
        {"valid": True, "providers": {k: s.spec.version for k, s in specs.items()}},
        _table(["provider", "status", "owner", "fields", "spec version"], rows)
        + f"\n{len(specs)} provider spec(s) valid",
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def status(as_json: bool) -> None:
    """Per provider: connection status, last success, staleness, open alerts and dead letters.

    Stuck batches are swept first (a dead process of this host, a timed-out heartbeat), so the
    status never shows a crashed sync as still running.
    """
    from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches

    specs = load_specs()
    engine = _engine()
    swept = {key: sweep_stuck_batches(engine, loaded.spec) for key, loaded in specs.items()}
    now = utcnow()
    report = []
    with engine.connect() as conn:
        for key, loaded in specs.items():
            connection = connection_status(conn, key)
            last = last_successful_sync(conn, key)
            hours = None if last is None else round((now - last).total_seconds() / 3600, 1)
            stale = loaded.spec.status == "connected" and (
                hours is None or hours > loaded.spec.stale_after_hours
            )
            report.append(
                {
                    "provider": key,
                    "spec_status": loaded.spec.status,
                    "connection_status": connection or "never synced",
                    "last_success": last.isoformat(timespec="seconds") if last else None,
                    "hours_since_success": hours,
                    "stale": stale,
                    "open_alerts": [a["kind"] for a in open_alerts(conn, key)],
                    "open_dead_letters": dead_letter_summary(conn, key)["open"],
                    "swept_batches": [b.batch_id for b in swept[key]],
                }
            )
    _emit(
        as_json,
        report,
        _table(
            [
                "provider",
                "connection",
                "last success (UTC)",
                "hours ago",
                "stale",
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
                    ", ".join(r["open_alerts"]) or "-",
                    r["open_dead_letters"],
                ]
                for r in report
            ],
        ),
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
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def test_sync_command(provider: str, limit: int | None, path: Path | None, as_json: bool) -> None:
    """Show what a sync would create, update, fail, skip as duplicate or ignore; write nothing."""
    loaded = _provider(provider)
    spec = loaded.spec
    rows = file_rows(path, spec.text_encoding) if path is not None else source_rows(loaded)
    show = not as_json and sys.stderr.isatty()
    try:
        review = dry_run(
            _engine(),
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
        + _table(
            ["total", *OUTCOMES], [[review.total, *(review.counts.get(o, 0) for o in OUTCOMES)]]
        )
        + (
            "\n\nfailures by field and check\n"
            + _table(["field", "check", "rows", "masked examples"], failures)
            if failures
            else ""
        )
    )
    _emit(as_json, result, text)


def _finish(review: BatchReview | None, as_json: bool, extra: dict[str, Any]) -> None:
    payload = (review.as_metadata() if review else {}) | extra
    text = _review_text(review) if review else "nothing to do"
    _emit(as_json, payload, text + "".join(f"\n{k}: {v}" for k, v in extra.items()))
    if review and review.status != "succeeded":
        raise SystemExit(1)


@main.command()
@click.argument("provider")
@click.option("--id", "ids", type=int, multiple=True, help="dead letter id (repeatable)")
@click.option("--reason-contains", help="only dead letters whose reason contains this text")
@click.option("--by", "requested_by", default="zartsalgo replay", help="who asks for the replay")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def replay(
    provider: str,
    ids: tuple[int, ...],
    reason_contains: str | None,
    requested_by: str,
    as_json: bool,
) -> None:
    """Replay open dead letters through the current field map as a new batch."""
    result = replay_dead_letters(
        _engine(),
        _provider(provider).spec,
        ids=ids,
        reason_contains=reason_contains,
        requested_by=requested_by,
    )
    _finish(
        result.review, as_json, {"replayed": result.replayed, "still_failing": result.still_failing}
    )


@main.command()
@click.argument("provider")
@click.argument("ids", type=int, nargs=-1, required=True)
@click.option("--state", type=click.Choice(["resolved", "ignored"]), required=True)
@click.option("--note", required=True, help="why they are closed by hand")
def resolve(provider: str, ids: tuple[int, ...], state: str, note: str) -> None:
    """Close open dead letters by hand, with a note."""
    closed = resolve_dead_letters(_engine(), _provider(provider).spec, ids, state=state, note=note)
    click.echo(f"{closed} dead letter(s) marked {state}")
    if closed != len(set(ids)):
        raise click.ClickException(f"{len(set(ids)) - closed} id(s) were not open for {provider}")


@main.command()
@click.argument("provider")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "entered_by", required=True, help="who entered the records")
@click.option("--reason", required=True, help="why they are entered by hand")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def manual(provider: str, path: Path, entered_by: str, reason: str, as_json: bool) -> None:
    """Enter a small CSV / JSON / JSON-lines file of records as a manual batch."""
    try:
        review = manual_entry(
            _engine(), _provider(provider).spec, path, entered_by=entered_by, reason=reason
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    _finish(review, as_json, {"entered_by": entered_by})


@main.command("check-connection")
@click.argument("provider")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def check_connection_command(provider: str, as_json: bool) -> None:
    """Call the provider once with the configured credentials; update the connection status.

    Exits 0 when connected, 1 otherwise (auth_failed, unreachable, not_configured,
    unexpected_response)."""
    loaded = _provider(provider)
    check = check_connection(_engine(), loaded.spec, loaded.folder)
    text = (
        f"{provider}: {check.result}\n{check.detail}\nconnection status: {check.connection_status}"
    )
    _emit(as_json, check.as_dict(), text)
    if check.result != "connected":
        raise SystemExit(1)


cli_proof.register(main)  # `zartsalgo proof ...` and `zartsalgo portal ...`


@main.group()
def webhooks() -> None:
    """The webhook receiver for providers that declare `webhook`."""


@webhooks.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="interface to listen on")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="worker threads"
)
@click.option(
    "--connection-limit",
    default=512,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="open connections at once; more wait in the listen backlog",
)
@click.option(
    "--request-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(1, 600),
    help="seconds a request may take to arrive whole",
)
def webhooks_serve(
    host: str, port: int, threads: int, connection_limit: int, request_timeout: float
) -> None:
    """Receive signed deliveries on POST /webhooks/<provider>; store, then acknowledge.

    GET /healthz answers 200 while the database answers; SIGTERM stops cleanly."""
    import logging

    from zartsalgo_pipelines.webhook_receiver import ReceiverLimits, serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        specs = [loaded.spec for loaded in load_specs().values()]
    except ProviderSpecError as error:
        raise click.ClickException(str(error)) from None
    if not any(spec.webhook for spec in specs):
        raise click.ClickException("no provider spec declares `webhook`")
    limits = ReceiverLimits(
        threads=threads, connection_limit=connection_limit, request_timeout_seconds=request_timeout
    )
    serve(_engine(), specs, host, port, limits)


if __name__ == "__main__":  # last, so `python -m zartsalgo_pipelines.cli` sees every command
    main()
