"""A real sync in a child process that stops at a known point, for the kill tests.

``python -m zartsalgo_pipelines_tests.crash_child <mode> <db_url> <spec.json> [folder]`` runs the
real pipeline functions; the source is wrapped so that it stops for good at a point the test
observes through the database (committed chunks, a claimed group, landed pages). The test then
kills the process group with SIGKILL: nothing of the child gets to clean up.

Modes: ``file`` (extract an export, ingest it, stop after ``STOP_AFTER_ROWS`` rows),
``dagster`` (the same through a real run of the provider's ``<key>_sync`` job on the Dagster
instance stored in the folder ``DAGSTER_INSTANCE_DIR`` names; a REST provider's run stops in
its extract, holding the provider's pool slot, after ``STOP_AFTER_PAGES`` pages),
``webhooks`` (ingest stored deliveries, stop inside the second group), ``api`` (extract a REST
source, stop after ``STOP_AFTER_PAGES`` pages).
"""

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zartsalgo_pipelines.pipeline import api_extract, deliveries, run
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.engine import create_engine

STOP_AFTER_ROWS = 120
STOP_AFTER_PAGES = 2


def _stop_forever() -> None:
    threading.Event().wait()  # until SIGKILL


def _stop_after(items: Iterator[Any], limit: int) -> Iterator[Any]:
    for number, item in enumerate(items, start=1):
        if number > limit:
            _stop_forever()
        yield item


def run_file(engine: Any, spec: ProviderSpec, folder: Path) -> None:
    landed = run.landed_rows
    run.landed_rows = lambda s, landing: _stop_after(landed(s, landing), STOP_AFTER_ROWS)  # type: ignore[assignment]
    extract = run.extract_files(engine, spec, folder)
    run.process_extract(engine, spec, extract.batch_id)


def run_dagster(url: str, spec: ProviderSpec, folder: Path, instance_dir: str) -> None:
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from zartsalgo_pipelines.factory.provider_defs import build_provider_defs, sync_job_name
    from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase

    landed = run.landed_rows
    run.landed_rows = lambda s, landing: _stop_after(landed(s, landing), STOP_AFTER_ROWS)  # type: ignore[assignment]
    pages = api_extract.iter_pages
    api_extract.iter_pages = lambda *a, **k: _stop_after(pages(*a, **k), STOP_AFTER_PAGES)  # type: ignore[assignment]
    defs = dg.Definitions.merge(
        build_provider_defs(spec, folder),
        dg.Definitions(resources={RESOURCE_KEY: ZartsalgoDatabase(url=url)}),
    )
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(instance_dir))
    defs.resolve_job_def(sync_job_name(spec.key)).execute_in_process(instance=instance)


def run_webhooks(engine: Any, spec: ProviderSpec) -> None:
    rows = deliveries._rows
    calls = 0

    def second_group_stops(engine: Any, spec: ProviderSpec, batch_id: int) -> Iterator[Any]:
        nonlocal calls
        calls += 1
        source = rows(engine, spec, batch_id)
        return source if calls == 1 else _stop_after(source, 10)

    deliveries._rows = second_group_stops  # type: ignore[assignment]
    deliveries.process_deliveries(engine, spec)


def run_api(engine: Any, spec: ProviderSpec) -> None:
    pages = api_extract.iter_pages
    api_extract.iter_pages = lambda *a, **k: _stop_after(pages(*a, **k), STOP_AFTER_PAGES)  # type: ignore[assignment]
    api_extract.extract_api(engine, spec)


def main(argv: list[str]) -> None:
    mode, url, spec_path, *rest = argv
    spec = ProviderSpec.model_validate_json(Path(spec_path).read_text(encoding="utf-8"))
    engine = create_engine(url)
    if mode == "file":
        run_file(engine, spec, Path(rest[0]))
    elif mode == "dagster":
        run_dagster(url, spec, Path(rest[0]), rest[1])
    elif mode == "webhooks":
        run_webhooks(engine, spec)
    else:
        run_api(engine, spec)
    raise SystemExit(f"{mode}: the child was meant to stop before the end")


if __name__ == "__main__":
    main(sys.argv[1:])
