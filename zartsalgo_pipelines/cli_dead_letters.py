"""`zartsalgo replay`, `resolve` and `manual`: the data owner's dead-letter and manual-entry
tools."""

from pathlib import Path
from typing import Any

import click

from zartsalgo_pipelines.cli_support import emit, open_engine, provider_of, review_text
from zartsalgo_pipelines.ops.manual import manual_entry
from zartsalgo_pipelines.ops.replay import replay_dead_letters, resolve_dead_letters
from zartsalgo_pipelines.storage.import_batches import BatchReview


def _finish(review: BatchReview | None, as_json: bool, extra: dict[str, Any]) -> None:
    payload = (review.as_metadata() if review else {}) | extra
    text = review_text(review) if review else "nothing to do"
    emit(as_json, payload, text + "".join(f"\n{k}: {v}" for k, v in extra.items()))
    if review and review.status != "succeeded":
        raise SystemExit(1)


@click.command()
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
        open_engine(),
        provider_of(provider).spec,
        ids=ids,
        reason_contains=reason_contains,
        requested_by=requested_by,
    )
    _finish(
        result.review, as_json, {"replayed": result.replayed, "still_failing": result.still_failing}
    )


@click.command()
@click.argument("provider")
@click.argument("ids", type=int, nargs=-1, required=True)
@click.option("--state", type=click.Choice(["resolved", "ignored"]), required=True)
@click.option("--note", required=True, help="why they are closed by hand")
def resolve(provider: str, ids: tuple[int, ...], state: str, note: str) -> None:
    """Close open dead letters by hand, with a note."""
    closed = resolve_dead_letters(
        open_engine(), provider_of(provider).spec, ids, state=state, note=note
    )
    click.echo(f"{closed} dead letter(s) marked {state}")
    if closed != len(set(ids)):
        raise click.ClickException(f"{len(set(ids)) - closed} id(s) were not open for {provider}")


@click.command()
@click.argument("provider")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "entered_by", required=True, help="who entered the records")
@click.option("--reason", required=True, help="why they are entered by hand")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def manual(provider: str, path: Path, entered_by: str, reason: str, as_json: bool) -> None:
    """Enter a small CSV / JSON / JSON-lines file of records as a manual batch."""
    try:
        review = manual_entry(
            open_engine(), provider_of(provider).spec, path, entered_by=entered_by, reason=reason
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    _finish(review, as_json, {"entered_by": entered_by})


def register(main: click.Group) -> None:
    """Add the commands to ``zartsalgo``."""
    for command in (replay, resolve, manual):
        main.add_command(command)
