"""Set up and run the project with nothing but Python 3.11+ and git.

    python3 dev.py start [--no-ui]   # venv, install, migrate SQLite, sync every provider, UI
    python3 dev.py test              # venv, install, ruff, mypy, dg check defs, pytest
    python3 dev.py docs              # the README's examples and docs/images/ from the demo

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


def run(*command: str | Path) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    # As if the venv were activated: dg checks that the active venv is the project's.
    env = os.environ | {
        "VIRTUAL_ENV": str(VENV),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    completed = subprocess.run([str(c) for c in command], cwd=ROOT, env=env)
    if completed.returncode:
        sys.exit(completed.returncode)


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
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    ensure_venv()
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
