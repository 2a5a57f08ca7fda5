"""`zartsalgo webhooks serve`: the webhook receiver as a service."""

import datetime as dt
import json
import logging

import click

from zartsalgo_pipelines.cli_support import json_option, open_engine


class JsonLines(logging.Formatter):
    """One JSON object per log record, for a log collector (``webhooks serve --json``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


@click.group()
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
@json_option
def webhooks_serve(
    host: str,
    port: int,
    threads: int,
    connection_limit: int,
    request_timeout: float,
    as_json: bool,
) -> None:
    """Receive signed deliveries on POST /webhooks/<provider>; store, then acknowledge.

    GET /healthz answers 200 while the database answers; SIGTERM stops cleanly. The log goes
    to stderr, one JSON object per line with --json."""
    from zartsalgo_pipelines.specs.errors import ProviderSpecError
    from zartsalgo_pipelines.specs.loading import load_specs
    from zartsalgo_pipelines.webhook_receiver import ReceiverLimits, serve

    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonLines() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    )
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    try:
        specs = [loaded.spec for loaded in load_specs().values()]
    except ProviderSpecError as error:
        raise click.ClickException(str(error)) from None
    if not any(spec.webhook for spec in specs):
        raise click.ClickException("no provider spec declares `webhook`")
    limits = ReceiverLimits(
        threads=threads, connection_limit=connection_limit, request_timeout_seconds=request_timeout
    )
    serve(open_engine(), specs, host, port, limits)


def register(main: click.Group) -> None:
    """Add the `webhooks` group to ``zartsalgo``."""
    main.add_command(webhooks)
