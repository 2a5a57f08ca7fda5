"""Set up and run the project with nothing but Python 3.11+ and git.

    python3 dev.py start [--no-ui] [--port P]   # venv, install, migrate SQLite, sync, UI
    python3 dev.py test [PYTEST ARGS]           # venv, install, ruff, mypy, dg check defs, pytest
    python3 dev.py docs                         # README examples, docs/images/, from the demo

The virtual environment lives in .venv/ and is reinstalled only when setup.py or
pyproject.toml change (a stamp file records their hash).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".zartsalgo-install-stamp"


# What `--help` prints before anything is installed (quickstart.parser() and pytest say more once
# the venv exists; a test keeps START_HELP's options equal to the quickstart's).
START_HELP = """usage: python3 dev.py start [-h] [--no-ui] [--port PORT]

Create .venv/ and install the project (first run, or after setup.py or pyproject.toml change),
migrate the embedded SQLite database, sync every connected shipped provider, build the portal
preview, print the review and start the Dagster UI.

options:
  -h, --help   show this help message and exit
  --no-ui      sync and print, do not start the UI
  --port PORT  port of the Dagster UI on 127.0.0.1 (default 3000)"""
TEST_HELP = """usage: python3 dev.py test [PYTEST ARGS]

Create .venv/ and install the project, install Debian's chromium when run as root, then run
ruff check, ruff format --check, mypy, dg check defs and pytest with the arguments given.
The database tests also run on MariaDB/MySQL at 127.0.0.1:3306 and the deployment tests need
RabbitMQ at 127.0.0.1:5672 (README.md, docs/testing.md)."""


def run(*command: str | Path) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    # As if the venv were activated: dg checks that the active venv is the project's.
    env = os.environ | {
        "VIRTUAL_ENV": str(VENV),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    child = subprocess.Popen([str(c) for c in command], cwd=ROOT, env=env)
    try:
        returncode = child.wait()
    except KeyboardInterrupt:
        # Ctrl+C reached the child too: it stops and says so itself; no traceback from here.
        returncode = child.wait()
        sys.exit(returncode or 130)
    if returncode:
        sys.exit(returncode)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py must explain itself on an old Python
        sys.exit("zartsalgo_pipelines needs Python 3.11 or newer")
    if not PYTHON.exists():
        print(f"Creating {VENV.name}/", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = hashlib.sha256(
        b"".join((ROOT / name).read_bytes() for name in ("setup.py", "pyproject.toml"))
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def start(args: list[str]) -> None:
    run(PYTHON, "-m", "zartsalgo_pipelines.quickstart", *args)


def ensure_browser() -> None:
    """Debian's chromium for the browser tests: Playwright cannot download its own browser here.

    Installed with apt-get when this runs as root on Debian; elsewhere the browser tests skip
    with the reason outside CI (with CI=true they fail).
    """
    if shutil.which("chromium") or os.environ.get("ZARTSALGO_CHROMIUM"):
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        apt = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "chromium"],
        ):
            print("+", " ".join(command), flush=True)
            if subprocess.run(command, env=apt).returncode:
                print("chromium could not be installed: the browser tests will not run", flush=True)
                return
    else:
        print("chromium not found (install Debian's `chromium` package or set ZARTSALGO_CHROMIUM)")


def test(args: list[str]) -> None:
    ensure_browser()
    run(PYTHON, "-m", "ruff", "check", ".")
    run(PYTHON, "-m", "ruff", "format", "--check", ".")
    run(PYTHON, "-m", "mypy")
    run(BIN / "dg", "check", "defs")
    run(PYTHON, "-m", "pytest", *args)


def docs(args: list[str]) -> None:
    ensure_browser()
    run(PYTHON, "-m", "zartsalgo_pipelines_tests.docs_examples", *args)


def main() -> None:
    commands = {"start": start, "test": test, "docs": docs}
    if sys.argv[1:2] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    if sys.argv[1] == "start" and {"-h", "--help"} & set(sys.argv[2:]):
        print(START_HELP)
        return
    if sys.argv[1] == "test" and sys.argv[2:] in (["-h"], ["--help"]):
        print(TEST_HELP)
        return
    try:
        ensure_venv()
    except KeyboardInterrupt:
        sys.exit("\nStopped before the install finished; run the command again to finish it.")
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
