"""Scenario: processes a test starts end when the test process ends, however it ends.

A real starter process starts a family: a child in a session of its own that ignores SIGTERM,
and a grandchild that child starts. When the starter is killed with SIGKILL (no cleanup runs),
its watchdog ends all of them: SIGTERM, then SIGKILL for the one that ignores it. A family
closed normally ends what is left the same way.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from zartsalgo_pipelines.process_family import GRACE_SECONDS, ProcessFamily, members

# The most the watchdog needs after the starter's end: the grace before SIGKILL, then reaping.
ENDED_WITHIN = 30.0
assert GRACE_SECONDS < ENDED_WITHIN

STARTER = textwrap.dedent(
    """
    import json, os, subprocess, sys, threading
    from zartsalgo_pipelines.process_family import ProcessFamily
    family = ProcessFamily.start()
    env = os.environ | family.environ()
    stubborn = (
        "import signal, subprocess, sys, threading; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "subprocess.Popen([sys.executable, '-c', 'import threading; threading.Event().wait()']);"
        "print('ready', flush=True); threading.Event().wait()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", stubborn], env=env, start_new_session=True,
        stdout=subprocess.PIPE,
    )
    child.stdout.readline()
    print(json.dumps({"tag": family.tag}), flush=True)
    threading.Event().wait()
    """
)


def wait_until_gone(tag: str) -> list[int]:
    deadline = time.monotonic() + ENDED_WITHIN
    while (left := members(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_a_starter_killed_with_sigkill_leaves_no_member_behind() -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert starter.stdout is not None
        tag = json.loads(starter.stdout.readline())["tag"]
        assert len(members(tag)) == 2  # the stubborn child and its own child
        os.kill(starter.pid, signal.SIGKILL)  # the starter alone, as a killed test runner
        starter.wait()
        assert wait_until_gone(tag) == []
    finally:
        if starter.poll() is None:
            os.killpg(starter.pid, signal.SIGKILL)


def test_closing_a_family_ends_its_members() -> None:
    outer = ProcessFamily.start()
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", "import threading; threading.Event().wait()"],
            env=os.environ | outer.environ(),
            start_new_session=True,
        )
        assert outer.members() == [child.pid]
    finally:
        outer.close()
    assert child.wait() == -signal.SIGTERM
    assert outer.members() == []
