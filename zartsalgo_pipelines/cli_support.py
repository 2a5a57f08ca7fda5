"""What every `zartsalgo` command shares: the engine (one clear line when the database is down),
providers by key, tables and JSON output."""

import json
from collections.abc import Sequence
from typing import Any

import click
import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines.specs.loading import LoadedSpec, provider_spec
from zartsalgo_pipelines.storage.engine import create_engine, mask_url
from zartsalgo_pipelines.storage.import_batches import OUTCOMES, BatchReview


def database_down(error: BaseException) -> click.ClickException:
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
DATABASE_ERRORS = (sa.exc.DBAPIError, sa.exc.ArgumentError, OSError)


def open_engine() -> sa.Engine:
    url = settings.database_url()
    try:
        engine = create_engine(url)
        schema = sa.inspect(engine).has_table("data_import_batches")
    except DATABASE_ERRORS as error:
        raise database_down(error) from None
    if not schema:
        raise click.ClickException(
            f"{mask_url(url)} has no ZartsAlgo schema; run `alembic upgrade head` first"
        )
    return engine


def provider_of(key: str) -> LoadedSpec:
    try:
        return provider_spec(key)
    except ProviderSpecError as error:
        raise click.ClickException(str(error)) from None


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers], *[["-" if v is None else str(v) for v in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def emit(as_json: bool, payload: Any, text: str) -> None:
    click.echo(json.dumps(payload, default=str, indent=2) if as_json else text)


def review_text(review: BatchReview) -> str:
    counts = [getattr(review, f"rows_{o}") for o in OUTCOMES]
    return f"batch {review.batch_id} ({review.source_kind}) {review.status}\n" + table(
        ["total", *OUTCOMES], [[review.rows_total, *counts]]
    )


class Commands(click.Group):
    """Every command, and every group registered on it, ends a refused spec or a database
    that went away with one clear line and exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProviderSpecError as error:
            raise click.ClickException(str(error)) from None
        except sa.exc.DBAPIError as error:
            raise database_down(error) from None
