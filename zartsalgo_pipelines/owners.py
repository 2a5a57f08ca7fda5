"""Who owns a batch, and whether that owner still lives (plain Python, no Dagster).

A batch records the Dagster run that opened or claimed it (when there is one) and the process
that works on it: host name, pid and the pid's start time, so that a pid the kernel has handed
to another process since is not taken for the owner. Only a process on this host can be
checked; for another host's process the run status and the batch timeout decide.
"""

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# run id -> False once Dagster knows the run has ended (the factory builds it from the instance).
RunIsAlive = Callable[[str], bool]


def new_token() -> str:
    """A batch token: unique across databases, so it can name the batch's landing folder."""
    return uuid.uuid4().hex


def host_name() -> str:
    return socket.gethostname()[:255]


def process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None where unknown.

    Together with the pid it names one process: a reused pid has a later start time.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2 (the command) may hold spaces and parentheses: split after its last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def process_started_at(pid: int) -> float | None:
    """When ``pid`` started, in seconds since the epoch (to the kernel's tick), None where
    unknown: the boot time plus the start time in clock ticks."""
    ticks = process_start(pid)
    try:
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError):
        return None
    return None if ticks is None else boot + int(ticks) / os.sysconf("SC_CLK_TCK")


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()[0]


def process_is_alive(pid: int, started: str | None) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs on this host.

    A zombie (killed, not yet reaped by its parent) is dead: it will never write again.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    if _state(pid) in {"Z", "X"}:
        return False
    if started is not None:
        now = process_start(pid)
        if now is not None and now != started:
            return False  # the pid was reused
    return True


@dataclass(frozen=True)
class BatchOwner:
    """The run and process that open or claim a batch; stored on the batch row."""

    run_id: str | None
    host: str
    pid: int
    pid_start: str | None

    @classmethod
    def this_process(cls, run_id: str | None = None) -> "BatchOwner":
        pid = os.getpid()
        return cls(run_id, host_name(), pid, process_start(pid))

    def columns(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "owner_host": self.host,
            "owner_pid": self.pid,
            "owner_pid_start": self.pid_start,
        }

    def describe(self) -> str:
        run = f"run {self.run_id}, " if self.run_id else ""
        return f"{run}pid {self.pid} on {self.host}"
