"""The connection check: call the provider once with the configured credentials and say
connected / auth_failed / unreachable, updating the connection status and alerts.

`zartsalgo check-connection PROVIDER` and the `provider_connection_check` job call this. It
works for planned and paused providers too, which is how access is confirmed before `status:
connected`; for those it only reports: no incident is opened and no status changes.
"""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa

from zartsalgo_pipelines.clipping import clip
from zartsalgo_pipelines.incidents.alerts import (
    AlertEvent,
    raise_alert,
    record_auth_result,
    record_missing_credential,
    resolve_alerts,
)
from zartsalgo_pipelines.incidents.kinds import UNREACHABLE
from zartsalgo_pipelines.incidents.notify import notify
from zartsalgo_pipelines.settings import MissingSecretError
from zartsalgo_pipelines.sources.files import resolve_paths
from zartsalgo_pipelines.sources.rest import (
    AuthFailedError,
    ExtractError,
    iter_pages,
    open_provider_session,
    start_cursor,
)
from zartsalgo_pipelines.specs.models import FileSource, ProviderSpec
from zartsalgo_pipelines.storage.connections import register_provider
from zartsalgo_pipelines.storage.queries import connection_status

Result = Literal["connected", "auth_failed", "unreachable", "not_configured", "unexpected_response"]


@dataclass(frozen=True)
class ConnectionCheck:
    provider_key: str
    result: Result
    detail: str  # secret-free: the messages of sources.rest
    connection_status: str
    recorded: bool = True  # False for a provider whose spec is not `connected`

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check_connection(engine: sa.Engine, spec: ProviderSpec, spec_dir: Path) -> ConnectionCheck:
    """One request (the first page) for an API; for a file source, whether an export is there."""
    result: Result
    answer = ""
    events: list[AlertEvent] = []
    if isinstance(spec.source, FileSource):
        found = resolve_paths(spec.source.path, spec_dir)
        result = "connected" if found else UNREACHABLE
        detail = f"{len(found)} export file(s) match source.path `{spec.source.path}`"
    else:
        incremental = spec.source.incremental
        try:
            since = start_cursor(incremental, None) if incremental else None
            with open_provider_session(spec) as http:
                page = next(iter_pages(spec, http, since=since, page_limit=1))
            result, detail = "connected", f"{page.url}: {len(page.records)} records on page 1"
        except MissingSecretError as error:
            result, detail = "not_configured", str(error)
        except AuthFailedError as error:
            result, detail, answer = "auth_failed", str(error), error.answer
        except ExtractError as error:
            # Retryable: down or rate limiting, it may answer later. Otherwise it answered, but
            # not as the spec expects.
            result = UNREACHABLE if error.retryable else "unexpected_response"
            detail = str(error)
    if spec.status != "connected":
        with engine.connect() as conn:
            stored = connection_status(conn, spec.key)
        # As `zartsalgo status` says it: no connection row yet is "never synced".
        return ConnectionCheck(spec.key, result, detail, stored or "never synced", recorded=False)
    with engine.begin() as conn:
        register_provider(conn, spec)
        if result == "auth_failed":
            events += record_auth_result(conn, spec, ok=False, detail=answer)
        elif result == "not_configured":
            # The status reported must say that nothing can sync, not stay `connected`.
            events += record_missing_credential(conn, spec, detail=detail)
        elif result in ("connected", "unexpected_response"):
            # The credentials were accepted even if the answer was odd.
            events += record_auth_result(conn, spec, ok=True)
        if result == UNREACHABLE:
            events += raise_alert(conn, spec, UNREACHABLE, details={"detail": clip(detail, 500)})
        elif result in ("connected", "unexpected_response"):
            events += resolve_alerts(conn, spec.key, UNREACHABLE)
        status = connection_status(conn, spec.key) or spec.status
    notify(events)
    return ConnectionCheck(spec.key, result, detail, status)
