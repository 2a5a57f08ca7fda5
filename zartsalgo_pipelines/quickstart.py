"""The first README command: write the demo exports for today, migrate, sync every shipped
provider, load the sample export of each provider that is not connected (the paused Google Ads),
print the review, build the portal preview, start the UI.

Safe to run again: a second run opens new batches in which every stored row is a duplicate (on a
later day, the new days' requests are added and the ad platform's last days are restated; what
earlier days sent stays in the database).

The demo, and only the demo, sets ZARTSALGO_DEMO_SAMPLES=1 for itself and the UI it starts, so
a paused provider with a sample export shows its cards, each caveated as sample data.
"""

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.definitions import ALL_PROVIDERS_JOB, build_definitions
from zartsalgo_pipelines.factory.portal import PORTAL_JOB, preview_dir
from zartsalgo_pipelines.proof.cross import shows_sample
from zartsalgo_pipelines.proof.golive import GoLiveRefusedError, mark_live
from zartsalgo_pipelines.samples.ads import write_ads
from zartsalgo_pipelines.samples.demo import write_demo
from zartsalgo_pipelines.samples.quote_request import SAMPLE_PATH
from zartsalgo_pipelines.samples.scenario import local_day
from zartsalgo_pipelines.specs.loading import LoadedSpec, load_specs
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.engine import create_engine, mask_url
from zartsalgo_pipelines.storage.import_batches import OUTCOMES, latest_batch, review
from zartsalgo_pipelines.storage.migrate import upgrade_head
from zartsalgo_pipelines.storage.proof.golive import go_live_history


def prepare_dagster_home() -> None:
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings.REPOSITORY_DIR / "dagster.yaml", home / "dagster.yaml")
    os.environ[settings.DAGSTER_HOME_ENV] = str(home)  # for this process and the UI it starts


def prepare_demo_export(path: Path = SAMPLE_PATH) -> Path:
    """Write the quote_request demo export for the day the proof is rendered for (today in
    Berlin, or ZARTSALGO_AS_OF's day), so the demo's last weeks are always the recent ones."""
    today = local_day(proof_now())
    lines = write_demo(today, path)
    print(f"Demo export for {today} ({today:%A}, Europe/Berlin): {lines} lines in {path}")
    rows = write_ads(today)
    print(f"Google Ads sample export for {today}: {rows} lines")
    return path


def start_event_log_cursors(instance: dg.DagsterInstance) -> None:
    """Give a new instance the cursors Dagster's run-retry daemon keeps (dagster.yaml enables
    run retries), at the end of the event log, as the daemon's first tick would.

    Without them the daemon's first tick warns twice ("No cursor for event type ...") on every
    fresh `.dagster_home/`: the first thing a new user reads in the UI's log.
    """
    from dagster._daemon.auto_run_reexecution.event_log_consumer import (
        DAGSTER_EVENT_TYPES,
        _create_cursor_key,
    )

    keys = {_create_cursor_key(event_type) for event_type in DAGSTER_EVENT_TYPES}
    stored = instance.daemon_cursor_storage.get_cursor_values(keys)
    end = str(instance.event_log_storage.get_maximum_record_id() or 0)
    missing = {key: end for key in keys if stored.get(key) is None}
    if missing:
        instance.daemon_cursor_storage.set_cursor_values(missing)


def ui_command(port: int) -> list[str]:
    """`dg dev` on the shipped workspace, bound to 127.0.0.1 (`dagster dev` is superseded and
    says so on every start)."""
    workspace = settings.REPOSITORY_DIR / "workspace.yaml"
    dg_cli = Path(sys.executable).with_name("dg")
    # Warnings and errors only: the sensors' skip reasons every few seconds and the services'
    # start and stop lines drown what a new user needs (the URL, printed before this starts).
    return [
        str(dg_cli),
        "dev",
        "-w",
        str(workspace),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "--log-level",
        "warning",
    ]


def run_until_interrupted(command: list[str], cwd: Path) -> int:
    """Run ``command`` until it ends or Ctrl+C; then wait for it to stop and say so in one line.

    The terminal sends Ctrl+C to the child too, so the child stops its own services; this
    process only waits for it instead of dying with a traceback.
    """
    child = subprocess.Popen(command, cwd=cwd)
    try:
        return child.wait()
    except KeyboardInterrupt:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        print("\nStopped.", flush=True)
        return 130


def load_samples(url: str, specs: list[LoadedSpec]) -> None:
    """Each provider the demo shows from its sample export (``shows_sample``): land and map the
    sample as a `sample` batch, then its client_metrics (the sync job skips a paused provider)."""
    from zartsalgo_pipelines.pipeline.samples import load_sample
    from zartsalgo_pipelines.proof.refresh_scope import refresh_marked_metrics

    engine = create_engine(url)
    for loaded in specs:
        if not shows_sample(loaded.spec):
            continue
        load_sample(engine, loaded.spec, loaded.folder)
        with engine.begin() as conn:  # every client; the sample batch's marks are then done
            refresh_marked_metrics(conn, loaded.spec, marked_only=False)
    engine.dispose()


def print_review(url: str, statuses: Mapping[str, str]) -> None:
    """The latest batch of each provider; providers that are not connected say so."""
    engine = create_engine(url)
    header = f"{'provider':<24}{'batch':>7}{'status':>11}{'total':>8}" + "".join(
        f"{o:>11}" for o in OUTCOMES
    )
    print("\nSync review", f"({mask_url(url)})")
    print(header)
    with engine.connect() as conn:
        for key, status in sorted(statuses.items()):
            batch_id = latest_batch(conn, key)
            if batch_id is None:
                why = "no batch yet" if status == "connected" else f"{status}: not synced"
                print(f"{key:<24}{'-':>7}  {why}")
                continue
            r = review(conn, batch_id)
            counts = "".join(f"{getattr(r, f'rows_{o}'):>11}" for o in OUTCOMES)
            note = f"  ({status}: its {r.source_kind} export)" if status != "connected" else ""
            print(f"{key:<24}{r.batch_id:>7}{r.status:>11}{r.rows_total:>8}{counts}{note}")
    engine.dispose()


DEMO_REVIEWER = "python3 dev.py start (local demo)"


def build_portal(url: str, specs: list[ProviderSpec], definitions: dg.Definitions) -> bool:
    """Open the go-live gate of synced providers that never had a decision (this is the local
    demo; `zartsalgo portal go-live PROVIDER --withdraw` undoes it), then build the portal
    group and print where the preview is."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for spec in specs:
            shown = spec.status == "connected" or shows_sample(spec)
            if not shown or go_live_history(conn, spec.key):
                continue
            try:
                mark_live(conn, spec, decided_by=DEMO_REVIEWER)
            except GoLiveRefusedError:
                continue
            print(f"\n{spec.key}: marked live in the portal for the local demo")
    engine.dispose()
    job = definitions.resolve_job_def(PORTAL_JOB)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    index = preview_dir() / "index.html"
    print(f"\nPortal preview: {index}" if index.exists() else "\nNo portal preview was built.")
    if not result.success:
        print("The portal refresh did not fully succeed; open its run in the UI.")
    return result.success


def parser() -> argparse.ArgumentParser:
    """The options of `python3 dev.py start` (dev.py prints the same help without a venv)."""
    options = argparse.ArgumentParser(
        prog="python3 dev.py start", description=__doc__.splitlines()[0]
    )
    options.add_argument("--no-ui", action="store_true", help="sync and print, do not start the UI")
    options.add_argument(
        "--port", type=int, default=3000, help="port of the Dagster UI on 127.0.0.1 (default 3000)"
    )
    return options


def main() -> int:
    args = parser().parse_args()
    try:
        return _start(args)
    except KeyboardInterrupt:
        # Ctrl+C during the sync: the batch it interrupted is swept by the next run.
        print("\nStopped.", flush=True)
        return 130


def _start(args: argparse.Namespace) -> int:
    prepare_dagster_home()
    os.environ[settings.DEMO_SAMPLES_ENV] = "1"  # this process and the UI it starts only
    prepare_demo_export()
    url = settings.database_url()
    print(f"Migrating {mask_url(url)} to the newest schema")
    upgrade_head(url)

    definitions = build_definitions()
    job = definitions.resolve_job_def(ALL_PROVIDERS_JOB)
    with dg.DagsterInstance.get() as instance:
        start_event_log_cursors(instance)
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    specs = load_specs()
    load_samples(url, list(specs.values()))
    statuses = {key: loaded.spec.status for key, loaded in specs.items()}
    print_review(url, statuses)
    portal_ok = build_portal(url, [loaded.spec for loaded in specs.values()], definitions)
    if not result.success:
        print("\nThe sync did not fully succeed; open the run in the UI for the failing step.")
    result_ok = result.success and portal_ok
    if args.no_ui:
        return 0 if result_ok else 1
    print(
        f"\nStarting the Dagster UI on http://127.0.0.1:{args.port}; it answers in a few "
        "seconds (Ctrl+C stops it)",
        flush=True,
    )
    # From the instance folder: Dagster warns when the folder it starts in holds a dagster.yaml
    # other than DAGSTER_HOME's, and the repository root holds the shipped one.
    return run_until_interrupted(ui_command(args.port), settings.dagster_home())


if __name__ == "__main__":
    sys.exit(main())
