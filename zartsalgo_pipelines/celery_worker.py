"""The Celery app the step workers run: `celery -A zartsalgo_pipelines.celery_worker worker`.

Dagster's own `dagster_celery.app` reads only a broker host; this app takes the whole broker URL
from ZARTSALGO_CELERY_BROKER_URL (user, password, vhost), the same variable the executor reads,
so the job and its workers always meet on one broker. Everything else is dagster-celery's
defaults (queue `dagster`, priorities, rpc:// results).
"""

from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from zartsalgo_pipelines import settings

app = make_app()
app.conf.broker_url = settings.celery_broker_url()
execute_plan = create_task(app)
