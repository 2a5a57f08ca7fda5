"""Real databases for every test: a migrated SQLite file and a uniquely named MySQL database.

The MySQL database is created for this test session and dropped at its end. Outside CI a
missing server skips the MySQL cases with the reason shown; with CI=true it is an error.
"""

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import sqlalchemy as sa
import yaml

from zartsalgo_pipelines.process_family import ProcessFamily
from zartsalgo_pipelines.samples.demo import EXAMPLE_DAY, demo_export, write_demo
from zartsalgo_pipelines.settings import DEFS_DIR, PROCESS_FAMILY_ENV
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.admin import create_database, drop_database
from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.storage.migrate import upgrade_head
from zartsalgo_pipelines.tables import Base

MYSQL_SERVER_URL = os.environ.get(
    "ZARTSALGO_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
)
SHIPPED_SPEC = DEFS_DIR / "quote_request" / "defs.yaml"

# No test depends on the machine's speed: hypothesis' default deadline (200 ms an example) is a
# timing threshold, which a loaded machine crossed. Every @settings inherits this profile.
hypothesis.settings.register_profile("zartsalgo", deadline=None)
hypothesis.settings.load_profile("zartsalgo")


@pytest.fixture(scope="session", autouse=True)
def process_family() -> Iterator[ProcessFamily]:
    """Every process a test starts (and all it starts in turn) carries this session's family
    tag, so it ends when this test process ends, however it ends (docs/testing.md)."""
    family = ProcessFamily.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PROCESS_FAMILY_ENV, family.environ()[PROCESS_FAMILY_ENV])
        yield family
    family.close()


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    server = sa.engine.make_url(MYSQL_SERVER_URL)
    name = f"zt_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.render_as_string(hide_password=False))
    try:
        create_database(admin, name)
    except sa.exc.OperationalError as error:
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"MySQL-compatible server at {server.host}:{server.port} unreachable: {error}")
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade_head(url)
    yield url
    drop_database(admin, name)
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'zartsalgo.sqlite'}"
    upgrade_head(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test runs once on SQLite and once on MySQL, starting from empty tables."""
    url = request.getfixturevalue(f"{request.param}_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()
    yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Landed extracts go to the test's own folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv("ZARTSALGO_DATA_DIR", str(folder))
    return folder


@pytest.fixture(scope="session", autouse=True)
def shipped_sample() -> Iterator[Path]:
    """The shipped quote_request spec's export (generated, not in git) for the fixed example day
    while the tests run, never for the real today; what was there before is put back."""
    with demo_export(EXAMPLE_DAY) as path:
        yield path


@pytest.fixture
def demo_folder(tmp_path: Path) -> Callable[[dt.date], Path]:
    """Write the demo export for a day where the shipped spec's `source.path` finds it, in the
    test's own folder; returns that folder (the spec folder to sync from)."""

    def write(day: dt.date = EXAMPLE_DAY) -> Path:
        folder = tmp_path / "quote_request"
        write_demo(day, folder / "sample" / "quote_requests.jsonl")
        return folder

    return write


def shipped_attributes() -> dict[str, Any]:
    return yaml.safe_load(SHIPPED_SPEC.read_text(encoding="utf-8"))["attributes"]


@pytest.fixture
def make_spec() -> Callable[..., ProviderSpec]:
    """The shipped quote_request spec with overrides (e.g. a test export path)."""

    def make(**overrides: Any) -> ProviderSpec:
        return ProviderSpec.model_validate(shipped_attributes() | overrides)

    return make


@pytest.fixture
def write_export(tmp_path: Path) -> Callable[[list[Any], str], Path]:
    """Write records as a JSON-lines export in the test's folder; returns its folder."""

    def write(records: list[Any], name: str = "export.jsonl") -> Path:
        folder = tmp_path / "exports"
        folder.mkdir(exist_ok=True)
        with (folder / name).open("w", encoding="utf-8") as handle:
            for record in records:
                text = record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)
                handle.write(text + "\n")
        return folder

    return write


# The fake provider API (a real HTTP server on 127.0.0.1) for REST source tests, and the browser.
from zartsalgo_pipelines_tests.browser import browser, page  # noqa: E402, F401
from zartsalgo_pipelines_tests.fake_api import api, fake_api  # noqa: E402, F401
