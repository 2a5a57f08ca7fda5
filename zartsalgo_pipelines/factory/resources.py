"""The database resource every provider's assets, checks and sensors share."""

import functools

import dagster as dg
import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.storage.engine import create_engine

RESOURCE_KEY = "zartsalgo_db"


class ZartsalgoDatabase(dg.ConfigurableResource):
    """ZartsAlgo's database: MySQL in production (ZARTSALGO_DATABASE_URL), SQLite by default."""

    url: str

    def engine(self) -> sa.Engine:
        return _engine(self.url)


@functools.cache
def _engine(url: str) -> sa.Engine:
    # One pool per URL and process: assets, checks and sensor ticks reuse connections.
    return create_engine(url)


def default_database() -> ZartsalgoDatabase:
    """Read at launch through dg.EnvVar when the variable is set, so the URL (and its password)
    never appears in the UI's resource config; otherwise the embedded SQLite file."""
    if settings.database_url_from_env():
        return ZartsalgoDatabase(url=dg.EnvVar(settings.DATABASE_URL_ENV))
    return ZartsalgoDatabase(url=settings.default_sqlite_url())


def database_kind() -> str:
    """The Dagster kind of the configured database (``sqlite``, ``mysql``), read from its URL
    without connecting; a MariaDB URL (``mariadb+pymysql://``) is named ``mariadb``."""
    try:
        return sa.engine.make_url(settings.database_url()).get_backend_name()
    except sa.exc.ArgumentError:
        return "sql"  # a malformed URL fails when the resource connects; loading still works
