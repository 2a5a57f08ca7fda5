"""Scenario: what a newcomer meets first. `python3 dev.py start --help` answers before anything
is installed, and lists the quickstart's own options; Ctrl+C on a running `dev.py start` ends
with one line and no traceback (dev.py -> quickstart -> the UI, each a real process, the
signal sent to the whole group as a terminal does); installing the project prints no
setuptools warning; a new Dagster instance starts with the cursors the run-retry daemon would
otherwise warn about."""

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

import dagster as dg
from dagster._daemon.auto_run_reexecution.event_log_consumer import (
    DAGSTER_EVENT_TYPES,
    _fetch_persisted_cursors,
)

from zartsalgo_pipelines.quickstart import parser, start_event_log_cursors

ROOT = Path(__file__).parents[1]


def test_help_answers_before_anything_is_installed(tmp_path: Path) -> None:
    shutil.copyfile(ROOT / "dev.py", tmp_path / "dev.py")  # a checkout with no .venv yet
    for args, says in (
        (["start", "--help"], "--port PORT"),
        (["start", "-h"], "--no-ui"),
        (["test", "--help"], "RabbitMQ at 127.0.0.1:5672"),
        (["--help"], "python3 dev.py start"),
    ):
        done = subprocess.run(
            [sys.executable, str(tmp_path / "dev.py"), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert says in done.stdout
    assert not (tmp_path / ".venv").exists()


def test_the_start_help_lists_the_quickstarts_options() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        import dev
    finally:
        sys.path.remove(str(ROOT))
    documented = set(re.findall(r"^  (?:-h, )?(--[a-z-]+)", dev.START_HELP, re.MULTILINE))
    options = {o for action in parser()._actions for o in action.option_strings if "--" in o}
    assert documented == options


# The UI stand-in stops on Ctrl+C as `dg dev` does (quietly, on its own).
UI = (
    "import signal, sys, time; signal.signal(signal.SIGINT, lambda *_: sys.exit(0)); "
    "print('ready', flush=True); time.sleep(600)"
)
QUICKSTART = (
    "import sys; from pathlib import Path; "
    "from zartsalgo_pipelines.quickstart import run_until_interrupted; "
    f"sys.exit(run_until_interrupted([sys.executable, '-c', {UI!r}], Path('.')))"
)
DEV = (
    f"import sys; sys.path.insert(0, {str(ROOT)!r}); import dev; "
    f"dev.run(sys.executable, '-c', {QUICKSTART!r})"
)


def test_ctrl_c_ends_with_one_line_and_no_traceback() -> None:
    started = subprocess.Popen(
        [sys.executable, "-c", DEV],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, like a terminal's foreground job
    )
    assert started.stdout is not None
    assert started.stdout.readline().startswith("+ ")  # dev.py names what it runs
    assert started.stdout.readline() == "ready\n"
    os.killpg(started.pid, signal.SIGINT)  # what Ctrl+C in a terminal does
    out, err = started.communicate(timeout=120)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert [line for line in out.splitlines() if line.strip()] == ["Stopped."]
    assert started.returncode == 130


def test_installing_the_project_prints_no_setuptools_warning(tmp_path: Path) -> None:
    venv.create(tmp_path / "venv", with_pip=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    # As dev.py does: the pip of the day, which shows what the build backend warns.
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        capture_output=True,
        timeout=600,
        check=True,
    )
    done = subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "-e", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    said = done.stdout + done.stderr
    assert "BuildBackendWarning" not in said and "setuptools" not in said.lower(), said[-3000:]


def test_a_new_instance_has_the_run_retry_daemons_cursors(caplog) -> None:
    logger = logging.getLogger("zartsalgo_pipelines_tests.event_log_consumer")
    with dg.instance_for_test() as instance:
        start_event_log_cursors(instance)
        with caplog.at_level(logging.WARNING, logger=logger.name):
            cursors = _fetch_persisted_cursors(instance, DAGSTER_EVENT_TYPES, logger)
        assert all(isinstance(value, int) for value in cursors.values())
        start_event_log_cursors(instance)  # again: the cursors the daemon moved stay as they are
        assert _fetch_persisted_cursors(instance, DAGSTER_EVENT_TYPES, logger) == cursors
    assert not [r for r in caplog.records if "No cursor" in r.getMessage()]
