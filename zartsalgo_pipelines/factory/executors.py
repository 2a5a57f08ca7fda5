"""Executors of the jobs whose steps run on other processes or hosts (docs/deploying.md)."""

import importlib.util

import dagster as dg

from zartsalgo_pipelines import settings


def celery_available() -> bool:
    """dagster-celery comes with the `deploy` (and `dev`) extra; without it there is no job."""
    return importlib.util.find_spec("dagster_celery") is not None


def celery_executor() -> dg.ExecutorDefinition:
    """Each step goes through the broker to a Celery worker (`zartsalgo_pipelines.celery_worker`).

    The broker URL is read at launch from ZARTSALGO_CELERY_BROKER_URL (it may hold a password);
    results come back over the broker itself (`rpc://`), so no second service is needed.
    """
    from dagster_celery import celery_executor as executor

    return executor.configured(
        {"broker": {"env": settings.CELERY_BROKER_URL_ENV}, "backend": "rpc://"},
        name="celery_executor",
    )
