"""What every `zartsalgo` command shares: the engine (one clear line when the database is down),
providers by key, tables, JSON output and the command group.

Only click and the standard library are imported here at module level, and each command imports
what it uses when it runs: `zartsalgo --help` and `zartsalgo status` never load pandas, pandera
or Dagster (docs/performance.md has the times; a test checks the rule).
"""

import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    import sqlalchemy as sa

    from zartsalgo_pipelines.specs.loading import LoadedSpec
    from zartsalgo_pipelines.storage.import_batches import BatchReview

F = TypeVar("F", bound=Callable[..., Any])


def json_option(function: F) -> F:
    """The ``--json`` flag every command has (a command with nothing to report prints ``{}``)."""
    return click.option("--json", "as_json", is_flag=True, help="machine-readable output")(function)


def database_down(error: BaseException) -> click.ClickException:
    """One line naming the database (password masked) and why it cannot be used."""
    import sqlalchemy as sa

    from zartsalgo_pipelines import settings
    from zartsalgo_pipelines.storage.engine import mask_url

    url = settings.database_url()
    try:
        shown, password = mask_url(url), sa.engine.make_url(url).password
    except sa.exc.ArgumentError:
        shown, password = "ZARTSALGO_DATABASE_URL (not a database URL)", None
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if password:  # drivers do not echo it today; this line must never start to
        reason = reason.replace(str(password), "***")
    return click.ClickException(f"database {shown} is unavailable: {reason}")


def open_engine() -> "sa.Engine":
    import sqlalchemy as sa

    from zartsalgo_pipelines import settings
    from zartsalgo_pipelines.storage.engine import create_engine, mask_url

    url = settings.database_url()
    try:
        engine = create_engine(url)
        schema = sa.inspect(engine).has_table("data_import_batches")
    # What a command meets when the database is down, unreachable or misnamed.
    except (sa.exc.DBAPIError, sa.exc.ArgumentError, OSError) as error:
        raise database_down(error) from None
    if not schema:
        raise click.ClickException(
            f"{mask_url(url)} has no ZartsAlgo schema; run `alembic upgrade head` first"
        )
    return engine


def provider_of(key: str) -> "LoadedSpec":
    from zartsalgo_pipelines.specs.errors import ProviderSpecError
    from zartsalgo_pipelines.specs.loading import provider_spec

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


def review_text(review: "BatchReview") -> str:
    from zartsalgo_pipelines.storage.import_batches import OUTCOMES

    counts = [getattr(review, f"rows_{o}") for o in OUTCOMES]
    return f"batch {review.batch_id} ({review.source_kind}) {review.status}\n" + table(
        ["total", *OUTCOMES], [[review.rows_total, *counts]]
    )


def one_line(error: Exception) -> click.ClickException | None:
    """A refused spec or a database that went away as one line; None for anything else.

    Either error can only come from a module that is loaded, so nothing is imported to tell.
    """
    spec_errors = sys.modules.get("zartsalgo_pipelines.specs.errors")
    if spec_errors is not None and isinstance(error, spec_errors.ProviderSpecError):
        return click.ClickException(str(error))
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(error, sqlalchemy_exc.DBAPIError):
        return database_down(error)
    return None


@dataclass(frozen=True)
class LazyCommand:
    """A command (or group) loaded from its module only when it is run or its help is asked
    for; ``short_help`` is what `zartsalgo --help` lists meanwhile (a test keeps it equal to
    the command's own)."""

    module: str
    attribute: str
    short_help: str


class Commands(click.Group):
    """Every command, and every group registered on it, ends a refused spec or a database
    that went away with one clear line and exit status 1, not a traceback. Commands declared
    in ``lazy`` are imported only when used."""

    def __init__(
        self, *args: Any, lazy: dict[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            entry = self.lazy[cmd_name]
            command = getattr(importlib.import_module(entry.module), entry.attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.lazy and name not in self.commands:
                # Shortened as click shortens a loaded command's help.
                stand_in = click.Command(name, help=self.lazy[name].short_help)
                rows.append((name, stand_in.get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            clear = one_line(error)
            if clear is None:
                raise
            raise clear from None
