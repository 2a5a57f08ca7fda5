"""Run the Alembic migrations from code (the README command and the tests use this)."""

from alembic import command
from alembic.config import Config

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.storage.engine import create_engine

ALEMBIC_INI = settings.REPOSITORY_DIR / "alembic.ini"


def alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_head(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (creating it when empty)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def main() -> None:
    upgrade_head(settings.database_url())


if __name__ == "__main__":
    main()
