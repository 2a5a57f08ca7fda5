"""Alembic environment: migrates ZARTSALGO_DATABASE_URL (or the SQLite default)."""

from logging.config import fileConfig

from alembic import context

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.tables import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed in by zartsalgo_pipelines.storage.migrate
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or settings.database_url()
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
