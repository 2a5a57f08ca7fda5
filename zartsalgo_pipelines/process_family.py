"""Processes that end with the process that started them, however it ends.

Tests and the benchmark start long-lived processes: honcho and the four services under it,
Celery workers, the Dagster daemon and the code servers and run workers it starts, webhook
receivers, crash children. Several lead a session of their own, so a signal to the starter's
process group misses them, and a starter killed with SIGKILL runs no cleanup: a killed test run
left its stack's daemon launching scheduled runs for 45 minutes.

So each such process carries a family tag in its environment (``ZARTSALGO_PROCESS_FAMILY``),
inherited by everything it starts in turn, whatever session it leads. A watchdog process,
started with the family, reads a pipe whose write end only the starter holds. When the starter
ends in any way (returns, raises, Ctrl-C, SIGKILL, the OOM killer), the kernel closes the pipe
and the watchdog ends every process that carries the tag: SIGTERM, then SIGKILL for what is left
after ``GRACE_SECONDS``; then it exits. Families nest: a tag is added to the ones inherited.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from zartsalgo_pipelines import settings

GRACE_SECONDS = 10.0  # between SIGTERM and SIGKILL
_ENTRY = settings.PROCESS_FAMILY_ENV.encode() + b"="


def members(tag: str) -> list[int]:
    """Live processes (not this one, no zombie) started with ``tag`` in their environment."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        pid = int(environ.parent.name)
        if pid == os.getpid():
            continue
        try:
            entries = environ.read_bytes().split(b"\0")
            state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # ended while we looked, or another user's
        tags = next((e[len(_ENTRY) :] for e in entries if e.startswith(_ENTRY)), b"")
        if state not in {"Z", "X"} and tag.encode() in tags.split(b","):
            found.append(pid)
    return found


def describe(pids: list[int]) -> list[str]:
    """``pid N: command line`` of each process still there."""
    shown = []
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        shown.append(f"pid {pid}: {command.decode(errors='replace')[:160]}")
    return shown


def end_family(tag: str, grace: float = GRACE_SECONDS) -> list[int]:
    """SIGTERM every member, SIGKILL whatever is left after ``grace`` (members started
    meanwhile included); returns the pids that needed SIGKILL."""
    deadline = time.monotonic() + grace
    giving_up = deadline + 30  # a process stuck in the kernel cannot be waited for forever
    termed: set[int] = set()
    killed: list[int] = []
    while (pids := members(tag)) and time.monotonic() < giving_up:
        for pid in pids:
            if time.monotonic() > deadline:
                _signal(pid, signal.SIGKILL)
                killed.append(pid)
            elif pid not in termed:
                _signal(pid, signal.SIGTERM)
                termed.add(pid)
        time.sleep(0.1)
    return sorted(set(killed))


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.kill(pid, number)


class ProcessFamily:
    """A family of processes and its watchdog; ``environ()`` is what a member is started with."""

    def __init__(self, tag: str, watchdog: subprocess.Popen[bytes]) -> None:
        self.tag, self._watchdog = tag, watchdog

    @classmethod
    def start(cls) -> "ProcessFamily":
        tag = uuid.uuid4().hex[:16]
        watchdog = subprocess.Popen(
            [sys.executable, "-m", __name__, tag],
            stdin=subprocess.PIPE,  # the write end stays here, never inherited
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in a terminal does not reach it
        )
        return cls(tag, watchdog)

    def environ(self) -> dict[str, str]:
        """The environment entry of a member: this family's tag after the inherited ones."""
        return {settings.PROCESS_FAMILY_ENV: ",".join([*settings.process_families(), self.tag])}

    def members(self) -> list[int]:
        return members(self.tag)

    def close(self) -> None:
        """End what is left of the family and the watchdog (what the starter's exit does)."""
        if self._watchdog.stdin is not None:
            self._watchdog.stdin.close()
        self._watchdog.wait()


def _watch(tag: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while sys.stdin.buffer.read(1 << 12):
        pass  # the starter never writes: EOF is its end
    end_family(tag)


if __name__ == "__main__":
    _watch(sys.argv[1])
