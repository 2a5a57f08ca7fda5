"""`zartsalgo replay`, `resolve` and `manual`: the data owner's dead-letter and manual-entry
tools. Each imports the ingestion path (pandas, pandera) only when it runs."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from zartsalgo_pipelines.cli_support import (
    emit,
    json_option,
    open_engine,
    provider_of,
    review_text,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from zartsalgo_pipelines.storage.import_batches import BatchReview

WAIT_OPTION = click.option(
    "--wait",
    "wait_seconds",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="seconds to wait while a sync of the provider is writing (0: do not wait)",
)


def _say_waiting(as_json: bool) -> Any:
    # On stderr, so --json output stays one document.
    return lambda why: click.echo(why if as_json else f"waiting: {why}", err=True)


def _busy(error: Exception, command: str) -> click.ClickException:
    return click.ClickException(
        f"{error}. Nothing was written; run `{command}` again once that sync has finished "
        "(`zartsalgo status` shows it), or give --wait SECONDS"
    )


def _finish(
    engine: "sa.Engine", review: "BatchReview | None", as_json: bool, extra: dict[str, Any]
) -> None:
    """Print the batch and add it to Dagster's asset history (exit 1 unless it succeeded)."""
    from zartsalgo_pipelines.storage.queries import connection_status

    payload = (review.as_metadata() if review else {}) | extra
    lines = [review_text(review) if review else "nothing to do"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    if review is not None:
        payload["preview"] = str(refresh_portal(engine))
        lines.append(f"portal refreshed: the numbers include this batch ({payload['preview']})")
    if review is not None:
        with engine.connect() as conn:
            # As a sync's materialization carries it: the status after this batch.
            status = connection_status(conn, review.provider_key) or "unknown"
        history = _report(
            review, {k: str(v) for k, v in extra.items()} | {"connection_status": status}
        )
        payload["dagster_history"] = history.as_dict()
        lines.append(history.detail)
    emit(as_json, payload, "\n".join(lines))
    if review and review.status != "succeeded":
        raise SystemExit(1)


def refresh_portal(engine: "sa.Engine") -> Any:
    """The provider's numbers and the portal after a hand-made change (a manual batch, a
    replay, dead letters closed): at once, as a sync's run ends with them."""
    from zartsalgo_pipelines.cli_proof import refresh_all
    from zartsalgo_pipelines.clock import proof_now
    from zartsalgo_pipelines.specs.loading import load_specs

    return refresh_all(engine, [s.spec for s in load_specs().values()], proof_now())


def _report(review: "BatchReview", extra: dict[str, str]) -> Any:
    from zartsalgo_pipelines.factory.history import HistoryReport, report_batch

    try:
        return report_batch(review, **extra)
    # The batch is stored whatever happens here: an instance that cannot be written (a broken
    # dagster.yaml, its database down) is said in the output, not raised after the fact.
    except Exception as error:
        return HistoryReport(False, f"not added to Dagster's history: {type(error).__name__}")


@click.command()
@click.argument("provider")
@click.option("--id", "ids", type=int, multiple=True, help="dead letter id (repeatable)")
@click.option("--reason-contains", help="only dead letters whose reason contains this text")
@click.option("--by", "requested_by", default="zartsalgo replay", help="who asks for the replay")
@WAIT_OPTION
@json_option
def replay(
    provider: str,
    ids: tuple[int, ...],
    reason_contains: str | None,
    requested_by: str,
    wait_seconds: float,
    as_json: bool,
) -> None:
    """Replay open dead letters through the current field map as a new batch."""
    from zartsalgo_pipelines.errors import ZartsalgoError
    from zartsalgo_pipelines.ops.replay import replay_dead_letters
    from zartsalgo_pipelines.storage.import_batches import BatchNotClaimedError

    engine = open_engine()
    try:
        result = replay_dead_letters(
            engine,
            provider_of(provider).spec,
            ids=ids,
            reason_contains=reason_contains,
            requested_by=requested_by,
            wait_seconds=wait_seconds,
            on_wait=_say_waiting(as_json),
        )
    except BatchNotClaimedError as error:
        raise _busy(error, f"zartsalgo replay {provider}") from None
    except ZartsalgoError as error:
        raise click.ClickException(str(error)) from None
    _finish(
        engine,
        result.review,
        as_json,
        {"replayed": result.replayed, "still_failing": result.still_failing},
    )


@click.command()
@click.argument("provider")
@click.argument("ids", type=int, nargs=-1, required=True)
@click.option("--state", type=click.Choice(["resolved", "ignored"]), required=True)
@click.option("--note", required=True, help="why they are closed by hand")
@json_option
def resolve(provider: str, ids: tuple[int, ...], state: str, note: str, as_json: bool) -> None:
    """Close open dead letters by hand, with a note."""
    from zartsalgo_pipelines.ops.replay import resolve_dead_letters

    try:
        closed = resolve_dead_letters(
            open_engine(), provider_of(provider).spec, ids, state=state, note=note
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    wanted = len(set(ids))
    preview = refresh_portal(open_engine()) if closed else None
    emit(
        as_json,
        {"closed": closed, "state": state, "not_open": wanted - closed, "preview": str(preview)},
        f"{closed} dead letter(s) marked {state}" + ("; portal refreshed" if closed else ""),
    )
    if closed != wanted:
        raise click.ClickException(f"{wanted - closed} id(s) were not open for {provider}")


@click.command()
@click.argument("provider")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "entered_by", required=True, help="who entered the records")
@click.option("--reason", required=True, help="why they are entered by hand")
@WAIT_OPTION
@json_option
def manual(
    provider: str, path: Path, entered_by: str, reason: str, wait_seconds: float, as_json: bool
) -> None:
    """Enter a small CSV, JSON, JSON-lines or .xlsx file of records as a manual batch.

    Columns (or JSON keys) name fields by the export's path (client.slug), the spec's label
    (Client) or the target (client_key). A file that cannot be read is refused whole, with
    the column expected and the one found; nothing is written.
    """
    from zartsalgo_pipelines.errors import ZartsalgoError
    from zartsalgo_pipelines.ops.manual import manual_entry
    from zartsalgo_pipelines.storage.import_batches import BatchNotClaimedError

    engine = open_engine()
    try:
        review = manual_entry(
            engine,
            provider_of(provider).spec,
            path,
            entered_by=entered_by,
            reason=reason,
            wait_seconds=wait_seconds,
            on_wait=_say_waiting(as_json),
        )
    except BatchNotClaimedError as error:
        raise _busy(error, f"zartsalgo manual {provider} {path.name}") from None
    # A file that cannot be read (nothing written), or a batch the pipeline stopped (failed).
    except (ValueError, ZartsalgoError) as error:
        raise click.ClickException(str(error)) from None
    _finish(engine, review, as_json, {"entered_by": entered_by})


def register(main: click.Group) -> None:
    """Add the commands to ``zartsalgo``."""
    for command in (replay, resolve, manual):
        main.add_command(command)
