"""`zartsalgo proof` and `zartsalgo portal`: what a client sees, how a number came about, the
HTML preview and the go-live gate, on the same functions as the portal assets.

    zartsalgo proof show CLIENT [--period YYYY-MM-DD] [--as-of WHEN] [--json]
    zartsalgo proof explain CLIENT METRIC PERIOD [--as-of WHEN] [--json]
    zartsalgo portal refresh [--json]        recompute metrics, cards, impact, notes, tasks
    zartsalgo portal preview [--serve] [--port P] [--as-of WHEN] [--json]
    zartsalgo portal go-live PROVIDER --by NAME [--note TEXT] [--withdraw] [--json]

`--as-of` (or ZARTSALGO_AS_OF) renders the proof for another moment, what a client saw or will
see then, in a transaction that is rolled back (docs/client_proof.md).
"""

import contextlib
import datetime as dt
import functools
import http.server
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.clock import parse_instant, proof_now
from zartsalgo_pipelines.errors import TooLongError
from zartsalgo_pipelines.incidents.notify import notify
from zartsalgo_pipelines.proof.explain import NotFoundError, explain, show
from zartsalgo_pipelines.proof.golive import GoLiveRefusedError, decide
from zartsalgo_pipelines.proof.impact import refresh_impact
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.proof.notes import build_notes
from zartsalgo_pipelines.proof.preview import write_preview
from zartsalgo_pipelines.proof.printed import card_lines, explain_lines
from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
from zartsalgo_pipelines.proof.tasks import refresh_tasks
from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines.specs.loading import load_specs
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.engine import create_engine, mask_url


def _engine() -> sa.Engine:
    url = settings.database_url()
    engine = create_engine(url)
    if not sa.inspect(engine).has_table("portal_cards"):
        raise click.ClickException(
            f"{mask_url(url)} has no portal tables; run `alembic upgrade head` first"
        )
    return engine


def _specs() -> list[ProviderSpec]:
    try:
        return [loaded.spec for loaded in load_specs().values()]
    except ProviderSpecError as error:
        raise click.ClickException(str(error)) from None


def _echo(as_json: bool, payload: Any, text: str) -> None:
    click.echo(json.dumps(payload, default=str, indent=2) if as_json else text)


def preview_folder() -> Path:
    return settings.data_dir() / "portal_preview"


def refresh_all(engine: sa.Engine, specs: list[ProviderSpec], now: dt.datetime) -> Path:
    """Metrics, cards (and `no_new_data`), incident impact, notes, tasks and the preview, as
    the sync and portal jobs build them."""
    # The next scheduled sync (for incident statements) is read with Dagster's cron iterator.
    from zartsalgo_pipelines.factory.portal_assets import next_update

    with engine.begin() as conn:
        for spec in specs:
            refresh_client_metrics(conn, spec, now)
        refreshed = refresh_portal_cards(conn, specs, now)
        refresh_impact(conn, specs, next_update)
        build_notes(conn, specs, now)
        refresh_tasks(conn, specs, now)
        index = write_preview(conn, specs, preview_folder(), next_update, now)
    notify(refreshed.events)  # after the commit: never announce what was rolled back
    return index


def _clock() -> dt.datetime:
    """The proof's clock (ZARTSALGO_AS_OF, else now), or a usage error naming the variable."""
    try:
        return proof_now()
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="ZARTSALGO_AS_OF") from None


@click.group()
def proof() -> None:
    """What a client sees, and how each number came about."""


@contextlib.contextmanager
def _rendered(as_of: dt.datetime | None) -> Iterator[sa.Connection]:
    """A connection to read the proof from: as stored, or, with ``as_of``, rendered for that
    moment inside a transaction that is rolled back (nothing stored changes)."""
    engine = _engine()
    if as_of is None:
        with engine.connect() as conn:
            yield conn
        return
    specs = _specs()
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            for spec in specs:
                # What was final later was not final then: every period is computed anew.
                refresh_client_metrics(conn, spec, as_of, rewrite_final=True)
            refresh_portal_cards(conn, specs, as_of)
            build_notes(conn, specs, as_of)
            yield conn
        finally:
            transaction.rollback()


def _as_of(
    context: click.Context, parameter: click.Parameter, value: str | None
) -> dt.datetime | None:
    """``--as-of`` when given, else ZARTSALGO_AS_OF when set: render for that moment; neither:
    read the stored proof."""
    if value is None:
        return _clock() if settings.as_of_text() else None
    try:
        return parse_instant(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


AS_OF_READ = click.option(
    "--as-of",
    "as_of",
    callback=_as_of,
    metavar="WHEN",
    help="render for this moment (2026-12-07 or 2026-12-07T18:00:00Z; default "
    "ZARTSALGO_AS_OF) instead of reading the stored proof; nothing is stored",
)


@proof.command("show")
@click.argument("client")
@click.option("--period", type=click.DateTime(["%Y-%m-%d"]), help="a day inside the period")
@AS_OF_READ
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def proof_show(
    client: str, period: dt.datetime | None, as_of: dt.datetime | None, as_json: bool
) -> None:
    """The client's cards and note as the portal shows them, and what is hidden (and why)."""
    with _rendered(as_of) as conn:
        try:
            seen = show(conn, client, period.date() if period else None)
        except NotFoundError as error:
            raise click.ClickException(str(error)) from None
    lines = [f"Client {client}"]
    for card in seen["cards"]:
        lines += ["", *card_lines(card)]
    for note in seen["notes"]:
        lines.append(f"\nNote, {note['period']}: {note['text']}")
    for gone in seen["hidden"]:
        lines.append(f"\nhidden: {gone['card']} ({gone['period']}): {gone['reason']}")
    _echo(as_json, seen, "\n".join(lines))


@proof.command("explain")
@click.argument("client")
@click.argument("metric")
@click.argument("period", type=click.DateTime(["%Y-%m-%d"]))
@AS_OF_READ
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def proof_explain(
    client: str, metric: str, period: dt.datetime, as_of: dt.datetime | None, as_json: bool
) -> None:
    """Records counted, the batches they came from, excluded rows, the test, baseline, caveats.

    METRIC is a metric's key, or PROVIDER.KEY where two providers declare one key."""
    with _rendered(as_of) as conn:
        try:
            found = explain(conn, _specs(), client, metric, period.date(), as_of)
        except NotFoundError as error:
            raise click.ClickException(str(error)) from None
    _echo(as_json, found, "\n".join(explain_lines(found)))


@click.group()
def portal() -> None:
    """The portal preview and the go-live gate."""


@portal.command("refresh")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def portal_refresh(as_json: bool) -> None:
    """Recompute metrics, cards, incident impact, notes, tasks and the preview now (stored:
    by the proof's clock, ZARTSALGO_AS_OF when set)."""
    index = refresh_all(_engine(), _specs(), _clock())
    _echo(as_json, {"preview": str(index)}, f"portal refreshed; preview: {index}")


@portal.command("preview")
@click.option("--serve", is_flag=True, help="serve the pages on 127.0.0.1 until Ctrl+C")
@click.option("--port", default=8790, show_default=True, type=click.IntRange(0, 65535))
@AS_OF_READ
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def portal_preview(serve: bool, port: int, as_of: dt.datetime | None, as_json: bool) -> None:
    """Write the static preview (one page per client and per provider) and print where it is."""
    from zartsalgo_pipelines.factory.portal_assets import next_update

    with _rendered(as_of) as conn:
        index = write_preview(conn, _specs(), preview_folder(), next_update, as_of)
    if not serve:
        _echo(as_json, {"preview": str(index)}, f"preview: {index}")
        return
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(index.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        _echo(as_json, {"preview": str(index), "url": url}, f"preview: {index}")
        if not as_json:
            click.echo(f"serving on {url} (Ctrl+C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


@portal.command("go-live")
@click.argument("provider")
@click.option("--by", "decided_by", required=True, help="who reviewed the test sync")
@click.option("--note", help="what was reviewed")
@click.option("--withdraw", "undo", is_flag=True, help="hide the provider's cards again")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def portal_go_live(
    provider: str, decided_by: str, note: str | None, undo: bool, as_json: bool
) -> None:
    """Mark PROVIDER's cards live in the portal after reviewing a sync (or withdraw them)."""
    specs = {s.key: s for s in _specs()}
    if provider not in specs:
        raise click.ClickException(f"unknown provider `{provider}`; known: {sorted(specs)}")
    now = _clock()
    with _engine().begin() as conn:
        try:
            row, events = decide(
                conn,
                list(specs.values()),
                specs[provider],
                live=not undo,
                decided_by=decided_by,
                note=note,
                now=now,
            )
        except (GoLiveRefusedError, TooLongError) as error:
            raise click.ClickException(str(error)) from None
    notify(events)  # after the commit: never announce what was rolled back
    _echo(
        as_json,
        {"provider": provider, **row},
        f"{provider}: {row['action']} by {row['decided_by']} at {row['decided_at']:%Y-%m-%d %H:%M} "
        f"UTC (reviewed batch {row['reviewed_batch_id'] or '-'})",
    )


def register(main: click.Group) -> None:
    """Add the proof and portal groups to the `zartsalgo` command."""
    main.add_command(proof)
    main.add_command(portal)
