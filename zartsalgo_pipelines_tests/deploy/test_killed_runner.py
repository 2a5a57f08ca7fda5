"""Scenario: the process that started the deployment stack is killed with SIGKILL, as a test
runner killed by a timeout, a second Ctrl-C or the OOM killer is: no fixture, finalizer or
`finally` of it runs. Nothing of its stack (honcho, the code server, webserver, daemon and
receiver under it, two Celery workers, whatever they started) is left 30 s later: once it was
seven processes and two workers, and a daemon launching scheduled runs for 45 minutes.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.process_family import describe, members
from zartsalgo_pipelines_tests.conftest import MYSQL_SERVER_URL
from zartsalgo_pipelines_tests.deploy import stack_runner
from zartsalgo_pipelines_tests.deploy.test_deployment import _broker_up, _unavailable

pytestmark = pytest.mark.mysql

LEFT_AFTER_SECONDS = 30.0  # the bound the issue names; the watchdog needs about 10 s
SERVICES = ("honcho", "api grpc", "dagster-webserver", "dagster-daemon", "webhooks serve")


def test_a_runner_killed_with_sigkill_leaves_nothing_of_its_stack(tmp_path: Path) -> None:
    admin = sa.engine.make_url(MYSQL_SERVER_URL)
    try:
        sa.create_engine(admin).connect().close()
    except sa.exc.OperationalError as error:
        _unavailable(f"MySQL-compatible server at {admin.host}:{admin.port} unreachable: {error}")
    if not _broker_up("pyamqp://guest:guest@127.0.0.1:5672//"):
        _unavailable("RabbitMQ broker at 127.0.0.1:5672 unreachable: start it for Celery tests")
    runner = subprocess.Popen(
        [sys.executable, "-m", stack_runner.__name__, str(tmp_path)],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    info: dict[str, str | list[str]] = {}
    try:
        assert runner.stdout is not None
        line = runner.stdout.readline()  # the runner's own waits end on progress or fail
        assert line, f"the runner ended ({runner.wait()}) before its stack was healthy"
        info = json.loads(line)
        family = str(info["family"])
        running = " | ".join(describe(members(family)))
        for service in SERVICES:
            assert service in running, (service, running)
        assert running.count("celery") >= 2, running

        os.kill(runner.pid, signal.SIGKILL)  # the runner alone: its stack is in other sessions
        assert runner.wait() == -signal.SIGKILL
        deadline = time.monotonic() + LEFT_AFTER_SECONDS
        while members(family) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert describe(members(family)) == []
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()
        _drop(admin, info)


def _drop(admin: sa.URL, info: dict[str, str | list[str]]) -> None:
    """What the killed runner could not clean up: its databases and Dagster's user."""
    if not info:
        return
    engine = sa.create_engine(admin)
    with engine.begin() as conn:
        for name in info["databases"]:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"DROP USER IF EXISTS '{info['user']}'@'%'"))
    engine.dispose()
