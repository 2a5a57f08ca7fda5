"""Scratch places for a benchmark run: a database made and dropped, a generated dg project."""

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
import yaml

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.storage.admin import create_database, drop_database
from zartsalgo_pipelines.storage.engine import create_engine

SHIPPED_SPEC = settings.DEFS_DIR / "quote_request" / "defs.yaml"


@contextlib.contextmanager
def scratch_database(server_url: str | None, workdir: Path) -> Iterator[str]:
    """A temporary SQLite file in ``workdir``, or a new database on the MySQL server of
    ``server_url`` (created here and dropped at the end; the named database is not touched)."""
    if not server_url:
        yield f"sqlite:///{workdir / 'bench.sqlite'}"
        return
    url = sa.engine.make_url(server_url)
    name = f"zt_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url)
    create_database(admin, name)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)
        admin.dispose()


def write_generated_project(specs: int, root: Path) -> Path:
    """A dg project under ``root`` whose defs folder holds ``specs`` copies of the shipped spec
    (each with its own key); returns the package folder."""
    package = f"bench_{uuid.uuid4().hex[:8]}"
    defs = root / package / "defs"
    document = yaml.safe_load(SHIPPED_SPEC.read_text(encoding="utf-8"))
    for number in range(specs):
        key = f"provider_{number:03d}"
        (defs / key).mkdir(parents=True)
        document["attributes"]["key"] = key
        (defs / key / "defs.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
    (root / package / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        f'[tool.dg]\ndirectory_type = "project"\n[tool.dg.project]\nroot_module = "{package}"\n'
    )
    return root / package
