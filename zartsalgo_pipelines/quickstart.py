"""The first README command: migrate, sync every shipped provider, print the review, start the UI.

Safe to run again: a second run opens new batches in which every stored row is a duplicate.
"""

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping

import dagster as dg

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.definitions import ALL_PROVIDERS_JOB, build_definitions
from zartsalgo_pipelines.specs.loading import load_specs
from zartsalgo_pipelines.storage.engine import create_engine, mask_url
from zartsalgo_pipelines.storage.import_batches import OUTCOMES, latest_batch, review
from zartsalgo_pipelines.storage.migrate import upgrade_head


def prepare_dagster_home() -> None:
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings.REPOSITORY_DIR / "dagster.yaml", home / "dagster.yaml")
    os.environ[settings.DAGSTER_HOME_ENV] = str(home)  # for this process and the UI it starts


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
            print(f"{key:<24}{r.batch_id:>7}{r.status:>11}{r.rows_total:>8}{counts}")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ui", action="store_true", help="sync and print, do not start the UI")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args()

    prepare_dagster_home()
    url = settings.database_url()
    print(f"Migrating {mask_url(url)} to the newest schema")
    upgrade_head(url)

    definitions = build_definitions()
    job = definitions.resolve_job_def(ALL_PROVIDERS_JOB)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    statuses = {key: loaded.spec.status for key, loaded in load_specs().items()}
    print_review(url, statuses)
    if not result.success:
        print("\nThe sync did not fully succeed; open the run in the UI for the failing step.")
    if args.no_ui:
        return 0 if result.success else 1
    print(f"\nStarting the Dagster UI on http://127.0.0.1:{args.port} (Ctrl+C stops it)")
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        "workspace.yaml",
        "-h",
        "127.0.0.1",
        "-p",
        str(args.port),
    ]
    return subprocess.call(command, cwd=settings.REPOSITORY_DIR)


if __name__ == "__main__":
    sys.exit(main())
