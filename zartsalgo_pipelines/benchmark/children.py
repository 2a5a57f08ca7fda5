"""The processes the latency benchmark starts: their environment, timing, services, waiting."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.process_family import ProcessFamily

PROVIDER = "quote_request"
SECRET_ENV = "QUOTE_REQUEST_WEBHOOK_SECRET"
BENCH_SECRET = "whsec-latency-benchmark"
CLIENT = "latency-bench-client"
_families: list[ProcessFamily] = []  # the benchmark's one family, started with its first child


def family() -> ProcessFamily:
    """The family of every process the benchmark starts: all of them end when it ends, however
    it ends (killed too), daemons' code servers and run workers included."""
    if not _families:
        _families.append(ProcessFamily.start())
    return _families[0]


def end_children() -> None:
    """End whatever the benchmark started that is still running."""
    while _families:
        _families.pop().close()


def child_env(workdir: Path, url: str) -> dict[str, str]:
    """The environment of every process the benchmark starts: its own instance and database,
    and the benchmark's process family."""
    home = workdir / "dagster_home"
    if not home.exists():
        home.mkdir(parents=True)
        shutil.copyfile(settings.REPOSITORY_DIR / "dagster.yaml", home / "dagster.yaml")
    return (
        os.environ
        | family().environ()
        | {
            settings.DAGSTER_HOME_ENV: str(home),
            settings.DATABASE_URL_ENV: url,
            settings.DATA_DIR_ENV: str(workdir / "data"),
            SECRET_ENV: BENCH_SECRET,
        }
    )


def timed(command: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one process, from its start to its exit (it must succeed)."""
    started = time.perf_counter()
    completed = subprocess.run(
        command, env=env, cwd=settings.REPOSITORY_DIR, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if completed.returncode:
        tail = (completed.stdout + completed.stderr)[-2000:]
        raise RuntimeError(f"{' '.join(command[:4])} failed ({completed.returncode}):\n{tail}")
    return seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def service(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A long-running child process, stopped with SIGTERM (then killed) when the block ends.

    It leads a process group of its own, and whatever is left of the group when it has exited
    is killed: the daemon's code server outlived the daemon once and kept running."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=settings.REPOSITORY_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def wait_until(
    condition: Any, seconds: float, what: str, progress: Callable[[], Any] | None = None
) -> None:
    """Poll ``condition`` until it holds. Each time ``progress()`` changes the wait goes on for
    another ``seconds``: a loaded machine is slower, and only a wait with no progress at all
    for ``seconds`` raises ``TimeoutError``."""
    seen = progress() if progress is not None else None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if condition():
                return
        if progress is not None and (now := progress()) != seen:
            seen, deadline = now, time.monotonic() + seconds
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready: no progress for {seconds:.0f} s")
