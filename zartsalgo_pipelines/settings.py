"""The one reader of the environment: database URL, data folder, chunk size and the provider
secrets a spec names (read at run time, never at definitions load).

Everything else asks this module, so a deployment is configured in one place and tests can
override a value with ``monkeypatch.setenv`` without chasing ``os.getenv`` calls.
"""

import os
from pathlib import Path
from typing import ClassVar

from zartsalgo_pipelines.errors import ZartsalgoError

DATABASE_URL_ENV = "ZARTSALGO_DATABASE_URL"
DATA_DIR_ENV = "ZARTSALGO_DATA_DIR"
CHUNK_SIZE_ENV = "ZARTSALGO_CHUNK_SIZE"
ALERT_WEBHOOK_ENV = "ZARTSALGO_ALERT_WEBHOOK_URL"
# The moment the proof is rendered for (clock.proof_now); unset: now.
AS_OF_ENV = "ZARTSALGO_AS_OF"
# Set only by `python3 dev.py start` (quickstart) for the local demo and the UI it starts: a
# provider that is not connected but ships a `sample` export counts as connected for the
# portal, its cards caveated as sample data. A deployment never sets it.
DEMO_SAMPLES_ENV = "ZARTSALGO_DEMO_SAMPLES"

PACKAGE_DIR = Path(__file__).resolve().parent
DEFS_DIR = PACKAGE_DIR / "defs"
# The package is installed in editable mode by the README commands, so its parent is the
# repository; `data/` there is git-ignored.
REPOSITORY_DIR = PACKAGE_DIR.parent

# 8,000: the per-chunk costs (lookups, pandera's per-column failure reports, a GC pass) are
# spread over more rows (-13 % time a row against 5,000) at ~340 MB peak (README, benchmark).
DEFAULT_CHUNK_SIZE = 8000
# Which mapping path maps a chunk (docs/performance.md): `columnar` (Arrow column operations,
# the row path for any row they are not sure of) or `rows` (every row in Python).
MAPPING_PATH_ENV = "ZARTSALGO_MAPPING_PATH"
MAPPING_PATHS = ("columnar", "rows")
DEFAULT_MAPPING_PATH = "rows"
DAGSTER_HOME_ENV = "DAGSTER_HOME"
# The families of processes this one belongs to (zartsalgo_pipelines/process_family.py).
PROCESS_FAMILY_ENV = "ZARTSALGO_PROCESS_FAMILY"
# Celery broker of the sync jobs whose steps run on worker processes (docs/deploying.md).
CELERY_BROKER_URL_ENV = "ZARTSALGO_CELERY_BROKER_URL"
DEFAULT_CELERY_BROKER_URL = "pyamqp://guest:guest@127.0.0.1:5672//"


def process_families() -> list[str]:
    """The tags of the process families this process was started in (outermost first)."""
    return [tag for tag in os.environ.get(PROCESS_FAMILY_ENV, "").split(",") if tag]


def data_dir() -> Path:
    """Local, git-ignored folder for the embedded SQLite database and landed extracts."""
    return Path(os.environ.get(DATA_DIR_ENV) or REPOSITORY_DIR / "data")


def database_url_from_env() -> str | None:
    """The SQLAlchemy URL named by ``ZARTSALGO_DATABASE_URL``, if set."""
    return os.environ.get(DATABASE_URL_ENV) or None


def database_url() -> str:
    """The database to use: ``ZARTSALGO_DATABASE_URL``, else the embedded SQLite file."""
    return database_url_from_env() or default_sqlite_url()


def default_sqlite_url() -> str:
    return f"sqlite:///{data_dir() / 'zartsalgo.sqlite'}"


def chunk_size() -> int:
    """Rows read, validated and written per transaction; bounds the pipeline's memory."""
    raw = os.environ.get(CHUNK_SIZE_ENV)
    if not raw:
        return DEFAULT_CHUNK_SIZE
    value = int(raw)
    if value < 1:
        raise ValueError(f"{CHUNK_SIZE_ENV} must be a positive integer, got {raw!r}")
    return value


def mapping_path() -> str:
    """``columnar`` or ``rows``: how the field map maps a chunk (the outcomes are the same)."""
    raw = os.environ.get(MAPPING_PATH_ENV) or DEFAULT_MAPPING_PATH
    if raw not in MAPPING_PATHS:
        raise ValueError(
            f"{MAPPING_PATH_ENV} must be one of {', '.join(MAPPING_PATHS)}, got {raw!r}"
        )
    return raw


def columnar_mapping() -> bool:
    """Whether chunks are mapped by the columnar path (``mapping/columnar.py``)."""
    return mapping_path() == "columnar"


def dagster_home() -> Path:
    """Dagster's instance folder: DAGSTER_HOME, else the git-ignored ``.dagster_home/``."""
    return Path(os.environ.get(DAGSTER_HOME_ENV) or REPOSITORY_DIR / ".dagster_home")


def dagster_home_is_set() -> bool:
    """Whether DAGSTER_HOME names the instance (else the local ``.dagster_home/`` is meant)."""
    return bool(os.environ.get(DAGSTER_HOME_ENV))


def celery_broker_url() -> str:
    """The broker Celery workers listen on: ZARTSALGO_CELERY_BROKER_URL, else a local RabbitMQ."""
    return os.environ.get(CELERY_BROKER_URL_ENV) or DEFAULT_CELERY_BROKER_URL


def alert_webhook_url() -> str | None:
    """Where alert events are posted (a Slack-compatible incoming webhook), if anywhere."""
    return os.environ.get(ALERT_WEBHOOK_ENV) or None


def demo_samples() -> bool:
    """Whether this is the local demo, which shows paused providers from their sample export
    (``ZARTSALGO_DEMO_SAMPLES=1``, set by quickstart only)."""
    return os.environ.get(DEMO_SAMPLES_ENV) == "1"


def as_of_text() -> str | None:
    """``ZARTSALGO_AS_OF`` as written (``clock.proof_now`` parses it), if set."""
    return os.environ.get(AS_OF_ENV) or None


class MissingSecretError(ZartsalgoError, RuntimeError):
    """A secret the spec names is not set; the message names the variable, never a value."""

    retryable: ClassVar[bool] = False  # someone must set the variable first


def secret(env_var: str, purpose: str) -> str:
    """The value of the environment variable ``env_var`` (named in a spec), or a clear error.

    ``purpose`` says which spec key named it, so the message points at what to set.
    """
    # os.environ, as dg.EnvVar reads it: `dagster dev` and the code server load a `.env` file
    # into the environment before any asset runs, so both ways see the same value.
    value = os.environ.get(env_var)
    if not value:
        raise MissingSecretError(
            f"environment variable {env_var} is not set (needed for {purpose}); set it where "
            "Dagster and the zartsalgo CLI run, e.g. in a .env file beside the webserver"
        )
    return value


def credential(env_var: str, purpose: str) -> str:
    """``secret``, for a value sent in an HTTP header or form: one line. A value read from a
    file keeps its newline, and as a header it could not be sent at all (http.client's error
    quotes the value; requests' read as `unreachable`)."""
    value = secret(env_var, purpose)
    if "\n" in value or "\r" in value:
        raise MissingSecretError(
            f"environment variable {env_var} holds a line break (needed for {purpose}); set "
            "it without one (a value read from a file keeps its trailing newline)"
        )
    return value
