"""A test runner's stand-in for the kill test: starts the whole stack and two Celery workers,
says so, and waits to be killed.

``python -m zartsalgo_pipelines_tests.deploy.stack_runner <folder>`` prints one JSON line when
the stack is healthy and the workers are ready: the stack's process family tag and its
databases (the test drops them: a runner killed with SIGKILL cleans up nothing).
"""

import json
import sys
import threading
from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines.settings import DEFAULT_CELERY_BROKER_URL
from zartsalgo_pipelines_tests.conftest import MYSQL_SERVER_URL
from zartsalgo_pipelines_tests.deploy.stack import started_stack


def main(folder: str) -> None:
    stacks = started_stack(
        Path(folder), sa.engine.make_url(MYSQL_SERVER_URL), DEFAULT_CELERY_BROKER_URL
    )
    stack = next(stacks)
    for name in ("zt-kill-1", "zt-kill-2"):
        stack.start_worker(name)
    databases = [stack.env["DAGSTER_MYSQL_DB"], sa.engine.make_url(stack.app_db_url).database]
    user = stack.env["DAGSTER_MYSQL_USER"]
    print(
        json.dumps({"family": stack.family.tag, "databases": databases, "user": user}), flush=True
    )
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main(sys.argv[1])
