"""REST extracts: pages land as JSON-lines files of one batch, then the batch is mapped like a
file export (``pipeline.process_extract``).

Landing first is what makes a failed extract harmless: if page 7 of 10 is an HTML error page,
the six landed pages are deleted and the batch is closed as failed before any row is mapped, so
nothing of that run is half-loaded. Memory stays bounded by one page.
"""

import datetime as dt
import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.incidents.alerts import (
    AlertEvent,
    record_auth_result,
    record_rate_limit_wait,
)
from zartsalgo_pipelines.incidents.notify import notify
from zartsalgo_pipelines.owners import BatchOwner, RunIsAlive
from zartsalgo_pipelines.pipeline.landing import create_landing_dir, landing_dir
from zartsalgo_pipelines.pipeline.lifecycle import fail_batch, open_provider_batch
from zartsalgo_pipelines.pipeline.run import Extract
from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches
from zartsalgo_pipelines.sources import jsontext
from zartsalgo_pipelines.sources.rest import (
    AuthFailedError,
    HighWaterMark,
    HttpSession,
    HttpStats,
    iter_pages,
    open_provider_session,
    send_value,
    start_cursor,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.batches import batch_token
from zartsalgo_pipelines.storage.connections import stored_cursor
from zartsalgo_pipelines.storage.import_batches import (
    BatchLostError,
    mark_extracted,
    record_http,
    touch,
)


@dataclass(frozen=True)
class ApiExtract(Extract):
    pages: int = 0
    records: int = 0
    http: dict[str, Any] = field(default_factory=dict)
    incremental_from: str | int | None = None
    incremental_cursor: str | None = None


def extract_api(
    engine: sa.Engine,
    spec: ProviderSpec,
    *,
    full_resync: bool = False,
    owner: BatchOwner | None = None,
    run_is_alive: RunIsAlive | None = None,
    now: dt.datetime | None = None,
) -> ApiExtract:
    """Read every page of the provider's API into a landed, ``extracted`` batch.

    ``now`` ends the last date window of a windowed source (default: the clock's now).
    Stuck batches of the provider are swept first. Raises ``ExtractError`` (or
    ``MissingSecretError``) after closing the batch as failed and recording what it learnt: a
    refused credential opens ``auth_failure``, long rate-limit waits open ``rate_limited``.
    """
    sweep_stuck_batches(engine, spec, run_is_alive=run_is_alive)
    source = spec.rest_source
    batch_id, token, stored = _open_api_batch(engine, spec, owner)
    incremental = source.incremental
    since = start_cursor(incremental, stored, full_resync=full_resync) if incremental else None
    mark = HighWaterMark(incremental) if incremental else None
    target = landing_dir(spec.key, batch_id, token)
    stats = HttpStats()  # stays empty when the session cannot even open (a missing secret)
    try:
        with open_provider_session(spec) as http:
            stats = http.stats
            landed = _land_pages(engine, spec, http, batch_id, target, since, mark, now)
    except (ZartsalgoError, OSError) as error:  # ours, or the landing folder's disk
        _abandon_extract(engine, spec, batch_id, target, stats, error)
        raise
    _record_http(engine, batch_id, stats, mark.stored if mark else None)
    try:
        with engine.begin() as conn:
            mark_extracted(conn, batch_id, landed.fingerprint)
    except BatchLostError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _after_extract(engine, spec, stats, None)
    return ApiExtract(
        batch_id=batch_id,
        files=sorted(p.name for p in target.iterdir()),
        bytes=landed.bytes,
        fingerprint=landed.fingerprint,
        landing=target,
        pages=landed.pages,
        records=landed.records,
        http=stats.as_metadata(),
        incremental_from=send_value(incremental, since) if incremental and since else None,
        incremental_cursor=mark.stored if mark else None,
    )


def _open_api_batch(
    engine: sa.Engine, spec: ProviderSpec, owner: BatchOwner | None
) -> tuple[int, str | None, str | None]:
    """Open the ``extracting`` batch; returns its id, its landing token and the stored cursor."""
    source = spec.rest_source
    with engine.begin() as conn:
        stored = stored_cursor(conn, spec.key)
        batch_id = open_provider_batch(
            conn,
            spec,
            source_kind="api",
            source_ref=f"{source.method} {source.base_url}{source.path}",
            status="extracting",
            owner=owner,
        )
        token = batch_token(conn, batch_id)
    return batch_id, token, stored


@dataclass(frozen=True)
class _LandedPages:
    pages: int
    records: int
    bytes: int
    fingerprint: str


def _land_pages(
    engine: sa.Engine,
    spec: ProviderSpec,
    http: HttpSession,
    batch_id: int,
    target: Path,
    since: dt.datetime | int | None,
    mark: HighWaterMark | None,
    now: dt.datetime | None,
) -> _LandedPages:
    """Create ``target`` and write each page there as it arrives, one JSON-lines file a page.

    Each page also raises the high-water mark and beats the batch's heartbeat, so a long
    extract is never taken for a stuck one.
    """
    create_landing_dir(target)
    digest = hashlib.sha256()
    pages = records = size = 0
    for page in iter_pages(spec, http, since=since, now=now):
        data = b"".join(jsontext.dumps(r) + b"\n" for r in page.records)
        (target / f"page-{page.number:06d}.jsonl").write_bytes(data)
        digest.update(data)
        size += len(data)
        pages += 1
        records += len(page.records)
        if mark is not None:
            mark.see(page.records)
        with engine.begin() as conn:
            touch(conn, batch_id, "extracting")
    return _LandedPages(pages, records, size, digest.hexdigest())


def _abandon_extract(
    engine: sa.Engine,
    spec: ProviderSpec,
    batch_id: int,
    target: Path,
    stats: HttpStats,
    error: BaseException,
) -> None:
    """Drop what landed, keep the HTTP counts, close the batch as failed and raise its alerts."""
    if not isinstance(error, FileExistsError):  # a folder that is not ours stays
        shutil.rmtree(target, ignore_errors=True)
    _record_http(engine, batch_id, stats, None)
    fail_batch(engine, spec, batch_id, str(error))
    _after_extract(engine, spec, stats, error)


def _record_http(engine: sa.Engine, batch_id: int, stats: HttpStats, cursor: str | None) -> None:
    with engine.begin() as conn:
        record_http(
            conn,
            batch_id,
            requests=stats.requests,
            rate_limit_hits=stats.rate_limit_hits,
            rate_limit_wait_seconds=stats.rate_limit_wait_seconds,
            cursor=cursor,
        )


def _after_extract(
    engine: sa.Engine, spec: ProviderSpec, stats: HttpStats, error: BaseException | None
) -> None:
    events: list[AlertEvent] = []
    with engine.begin() as conn:
        if isinstance(error, AuthFailedError):
            events += record_auth_result(conn, spec, ok=False, detail=error.answer)
        elif error is None:
            events += record_auth_result(conn, spec, ok=True)
        events += record_rate_limit_wait(
            conn, spec, waited_seconds=stats.rate_limit_wait_seconds, hits=stats.rate_limit_hits
        )
    notify(events)
