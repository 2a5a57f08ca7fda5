"""A real headless browser for page tests: Debian's chromium driven by Playwright's Python package.

Playwright cannot download its own browser builds here, so it launches the system's chromium
through ``executable_path`` (``python3 dev.py test`` installs the Debian package). Outside CI a
missing chromium skips with the reason; with CI=true it is an error.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zartsalgo_pipelines.settings import REPOSITORY_DIR

# Flags for a closed network: no background connections, no first-run or sync traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return (
        os.environ.get("ZARTSALGO_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def artifacts_dir() -> Path:
    """Where browser tests write screenshots for a person to look at (git-ignored)."""
    folder = Path(os.environ.get("ZARTSALGO_TEST_ARTIFACTS") or REPOSITORY_DIR / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium per test module. Not one per session: Playwright's sync API keeps
    an asyncio loop running in the main thread while it is open, and a later test that runs
    its own loop (Dagster's automation evaluation) would fail with "asyncio.run() cannot be
    called from a running event loop"."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing; `python3 dev.py test` installs Debian's package")
        pytest.skip("chromium not found: install Debian's `chromium` or set ZARTSALGO_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own context: no cookies or storage shared between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()
