"""The deployment stack as real processes: deploy/Procfile under honcho, on fresh MariaDB databases.

What the test renders (and nothing else): a scratch dg project holding the shipped quote_request
spec (schedule every minute, so the daemon ticks it during the test) and the shipped crm_deals
spec connected to a fake HubSpot API on 127.0.0.1; the Procfile with the code server pointed at
that project; an env file with free ports and the test databases. deploy/dagster.yaml and
deploy/workspace.yaml are used unchanged.

Every wait ends on its condition and goes on while there is progress (a run's status or
events, a log that grows): a loaded machine makes the tests slower, never red. Only a wait
with no progress at all for ``STALL_SECONDS`` fails. Every process of the stack is in the
stack's process family (``zartsalgo_pipelines/process_family.py``): it ends with the test
process however that ends, and what is left after a stop is found by its tag.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from zartsalgo_pipelines.process_family import ProcessFamily, describe, end_family
from zartsalgo_pipelines.settings import DEFS_DIR, REPOSITORY_DIR
from zartsalgo_pipelines_tests.fake_api import TOKEN, FakeApi, _Handler, _Server, deal

DEPLOY_DIR = REPOSITORY_DIR / "deploy"
BIN = Path(sys.executable).parent
# No progress at all for this long: the stack is stuck, not slow. Not a wait: polling ends as
# soon as the condition holds, and every sign of progress starts the count again.
STALL_SECONDS = 300.0


def wait_for(
    condition: Callable[[], Any],
    what: str,
    progress: Callable[[], Any] | None = None,
    stall: float = STALL_SECONDS,
) -> Any:
    """Poll ``condition`` until it returns something truthy. Each time ``progress()`` returns
    something new (a run's status and event count, a log's size), the wait goes on for another
    ``stall`` seconds; it fails naming ``what`` only after ``stall`` seconds without any."""
    seen = progress() if progress is not None else None
    deadline = time.monotonic() + stall
    while True:
        result = condition()
        if result:
            return result
        if progress is not None and (now := progress()) != seen:
            seen, deadline = now, time.monotonic() + stall
        if time.monotonic() > deadline:
            raise AssertionError(f"no progress for {stall:g} s while waiting for {what}")
        time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class GatedApi(FakeApi):
    """The fake API, counting requests in flight; while ``gate`` is clear, requests wait there."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0


class _GatedHandler(_Handler):
    def _handle(self, method: str) -> None:
        api: GatedApi = self.server.api  # type: ignore[assignment]
        with api.lock:
            api.in_flight += 1
            api.max_in_flight = max(api.max_in_flight, api.in_flight)
        api.arrived.set()
        try:
            api.gate.wait(STALL_SECONDS)
            super()._handle(method)
        finally:
            with api.lock:
                api.in_flight -= 1


class _GatedServer(_Server):
    def __init__(self, api: FakeApi) -> None:
        super(_Server, self).__init__(("127.0.0.1", 0), _GatedHandler)
        self.api = api


@dataclass
class Stack:
    root: Path
    env: dict[str, str]
    api: GatedApi
    dagster_db_url: str
    app_db_url: str
    location: str
    web_url: str
    log: Path
    family: ProcessFamily = field(default_factory=ProcessFamily.start)
    process: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    # --- GraphQL through the webserver -------------------------------------------------------
    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(
            f"{self.web_url}/graphql", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=STALL_SECONDS) as answer:
            payload = json.loads(answer.read())
        assert "errors" not in payload, payload
        return payload["data"]

    def launch(
        self, job: str, tags: dict[str, str] | None = None, assets: list[list[str]] | None = None
    ) -> str:
        """Launch ``job`` (or only its ``assets``) through GraphQL, as the UI does; the run id."""
        selector: dict[str, Any] = {
            "repositoryLocationName": self.location,
            "repositoryName": "__repository__",
            "jobName": job,
        }
        if assets:
            selector["assetSelection"] = [{"path": path} for path in assets]
        data = self.graphql(
            LAUNCH,
            params={
                "selector": selector,
                "runConfigData": {},
                "executionMetadata": {
                    "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]
                },
            },
        )["launchRun"]
        assert data["__typename"] == "LaunchRunSuccess", data
        return str(data["run"]["runId"])

    def run_status(self, run_id: str) -> str:
        return str(self.graphql(RUN_STATUS, runId=run_id)["runOrError"]["status"])

    def run_progress(self, *run_ids: str) -> tuple[Any, ...]:
        """The runs' statuses and how many events each has: what moves while a run works."""
        rows = self.dagster_sql(
            "SELECT r.run_id, r.status, (SELECT COUNT(*) FROM event_logs e "
            "WHERE e.run_id = r.run_id) FROM runs r WHERE r.run_id IN :ids",
            ids=tuple(run_ids) or ("",),
        )
        return tuple(sorted(tuple(row) for row in rows))

    def instance_progress(self) -> tuple[Any, ...]:
        """How many runs and events the instance holds: what moves while the daemon works."""
        rows = self.dagster_sql(
            "SELECT (SELECT COUNT(*) FROM runs), (SELECT COUNT(*) FROM event_logs)"
        )
        return tuple(rows[0])

    def wait_for_run(self, run_id: str) -> str:
        finished = {"SUCCESS", "FAILURE", "CANCELED"}
        status = wait_for(
            lambda: (s := self.run_status(run_id)) in finished and s,
            f"run {run_id} to finish",
            progress=lambda: self.run_progress(run_id),
        )
        return str(status)

    def runs_in_progress(self, provider: str) -> int:
        """Runs of the provider's jobs not finished yet (the daemon's own runs included)."""
        rows = self.dagster_sql(
            "SELECT COUNT(*) FROM runs WHERE pipeline_name LIKE :jobs AND status IN "
            "('QUEUED', 'NOT_STARTED', 'STARTING', 'STARTED', 'CANCELING')",
            jobs=f"{provider}%",
        )
        return int(rows[0][0])

    def provider_progress(self, provider: str) -> tuple[Any, ...]:
        """The provider's runs in flight and how many events its runs have."""
        rows = self.dagster_sql(
            "SELECT COUNT(*) FROM event_logs WHERE run_id IN "
            "(SELECT run_id FROM runs WHERE pipeline_name LIKE :jobs)",
            jobs=f"{provider}%",
        )
        return (self.runs_in_progress(provider), int(rows[0][0]))

    def quiet(self, provider: str) -> None:
        """Until no run of ``provider`` is in flight: two syncs of one provider at once compete
        for its extracted batches, which the tests do not look at."""
        wait_for(
            lambda: not self.runs_in_progress(provider),
            f"the {provider} runs to finish",
            progress=lambda: self.provider_progress(provider),
        )

    def dagster_cli(self, *args: str) -> None:
        """`dagster ...` through the shipped workspace, with the stack's environment. The
        workspace names the code location as the daemon knows it; `--grpc-host/--grpc-port`
        would name it after the address, and a schedule stopped under that other name keeps
        ticking in the daemon."""
        subprocess.run(
            [BIN / "dagster", *args, "--workspace", "deploy/workspace.yaml"],
            env=os.environ | self.env,
            cwd=REPOSITORY_DIR,
            check=True,
            capture_output=True,
        )

    # --- Dagster's MySQL storage -------------------------------------------------------------
    def dagster_sql(self, statement: str, **params: Any) -> list[sa.Row[Any]]:
        engine = sa.create_engine(self.dagster_db_url)
        query = sa.text(statement)
        if "ids" in params:
            query = query.bindparams(sa.bindparam("ids", expanding=True))
            params["ids"] = list(params["ids"])
        try:
            with engine.connect() as conn:
                return list(conn.execute(query, params))
        finally:
            engine.dispose()

    # --- processes ---------------------------------------------------------------------------
    def start(self) -> None:
        procfile = self.root / "Procfile"
        procfile.write_text(render_procfile(self.root))
        env_file = self.root / "stack.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in self.env.items()))
        run_env = os.environ | self.env | self.family.environ()
        subprocess.run(
            [BIN / "dagster", "instance", "migrate"], env=run_env, check=True, capture_output=True
        )
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [BIN / "honcho", "start", "-f", procfile, "-e", env_file],
                cwd=REPOSITORY_DIR,
                env=run_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session, as under systemd
            )

    def healthy(self) -> bool:
        """Code server, webserver, daemon and webhook receiver all answer."""
        assert self.process is not None and self.process.poll() is None, self.tail()
        grpc = subprocess.run(
            [
                BIN / "dagster",
                "api",
                "grpc-health-check",
                "--host",
                self.env["DAGSTER_GRPC_HOST"],
                "--port",
                self.env["DAGSTER_GRPC_PORT"],
            ],
            capture_output=True,
        )
        if grpc.returncode or not http_answers(f"{self.web_url}/server_info"):
            return False
        # The receiver's health endpoint answers 200 only when its database is reachable.
        receiver = f"http://127.0.0.1:{self.env['ZARTSALGO_WEBHOOK_PORT']}/healthz"
        if not http_answers(receiver):
            return False
        daemons = self.graphql(DAEMON_HEALTH)["instance"]["daemonHealth"]["allDaemonStatuses"]
        if not all(d["healthy"] for d in daemons if d["required"]):
            return False
        live = subprocess.run(
            [BIN / "dagster-daemon", "liveness-check"],
            env=os.environ | self.env,
            capture_output=True,
        )
        return live.returncode == 0

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        log = self.root / f"{name}.log"
        command = (DEPLOY_DIR / "Procfile.workers").read_text().split("worker: ", 1)[1].strip()
        command = command.replace("zartsalgo-worker-$PORT", name)
        out = log.open("ab")
        worker = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=REPOSITORY_DIR,
            env=os.environ | self.env | self.family.environ() | {"PYTHONPATH": str(self.root)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(worker)
        wait_for(
            lambda: b"ready." in log.read_bytes(),
            f"Celery worker {name} to be ready",
            progress=lambda: log.stat().st_size,
        )
        return worker

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> list[str]:
        """SIGTERM to honcho and the workers, as systemd or Ctrl-C would; once they have exited,
        returns what is left of the stack's processes (and ends it: never left behind)."""
        starters = [*self.workers, *([self.process] if self.process else [])]
        for process in starters:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        try:
            for process in starters:
                wait_for(
                    lambda p=process: p.poll() is not None,  # type: ignore[misc]
                    f"pid {process.pid} to exit after SIGTERM",
                    progress=lambda: len(self.family.members()),
                )
        finally:
            left = describe(self.family.members())
            end_family(self.family.tag)
            self.family.close()
        return left


def http_answers(url: str, any_status: bool = False) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return any_status
    except OSError:
        return False


def render_procfile(project_root: Path) -> str:
    """deploy/Procfile with the code server loading the test's project instead of the shipped."""
    text = (DEPLOY_DIR / "Procfile").read_text()
    shipped = "--module-name zartsalgo_pipelines.definitions --working-directory ."
    assert shipped in text, "deploy/Procfile no longer starts the code server the test expects"
    return text.replace(
        shipped,
        f"--module-name {project_root.name}_pkg.definitions --working-directory {project_root}",
    )


def write_project(root: Path, api_url: str) -> None:
    """A scratch dg project: the shipped specs, tuned for a test of a few minutes."""
    package = root / f"{root.name}_pkg"
    (package / "defs").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        '[tool.dg]\ndirectory_type = "project"\n'
        f'[tool.dg.project]\nroot_module = "{package.name}"\n'
    )
    # The project's own definitions, as deployed (their asset jobs run steps in the run's
    # process; the `_on_workers` jobs send them to Celery).
    (package / "definitions.py").write_text(
        "from pathlib import Path\n\nimport dagster as dg\n\n"
        "from zartsalgo_pipelines.definitions import build_definitions\n\n\n"
        "@dg.definitions\ndef defs() -> dg.Definitions:\n"
        "    return build_definitions(Path(__file__).parent)\n"
    )
    quote = package / "defs" / "quote_request"
    shutil.copytree(DEFS_DIR / "quote_request", quote)
    document = yaml.safe_load((quote / "defs.yaml").read_text(encoding="utf-8"))
    document["attributes"]["schedule"] = {"cron": "* * * * *", "timezone": "UTC"}
    (quote / "defs.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
    crm = package / "defs" / "crm_deals"
    crm.mkdir()
    document = yaml.safe_load((DEFS_DIR / "crm_deals" / "defs.yaml").read_text(encoding="utf-8"))
    attributes = document["attributes"]
    attributes["status"] = "connected"
    attributes.pop("schedule")  # runs of crm_deals come from the test (and its stale-sync sensor)
    attributes["source"] |= {
        "base_url": api_url,
        "rate_limit": {},
        "http_retries": {"max_retries": 3, "backoff_factor": 0.01, "jitter_seconds": 0.01},
    }
    for metric in attributes["metrics"]:  # until a metric without next_actions computes (#11)
        metric.setdefault(
            "next_actions",
            {k: "none" for k in ("improving", "declining", "steady", "no_baseline")},
        )
    (crm / "defs.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))


def start_api() -> tuple[GatedApi, _Server]:
    api = GatedApi()
    api.auth = ("bearer", TOKEN)
    api.deals = [deal(n, f"2026-11-0{n}T08:00:00.000Z") for n in range(1, 8)]
    server = _GatedServer(api)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    return api, server


@dataclass
class MysqlDatabases:
    admin_url: sa.URL
    dagster_db: str
    app_db: str
    user: str
    password: str

    def create(self) -> None:
        with sa.create_engine(self.admin_url).begin() as conn:
            for name in (self.dagster_db, self.app_db):
                conn.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
            # Dagster's storage gets its own user with a password, as in production.
            conn.execute(sa.text(f"CREATE USER '{self.user}'@'%' IDENTIFIED BY '{self.password}'"))
            conn.execute(sa.text(f"GRANT ALL ON {self.dagster_db}.* TO '{self.user}'@'%'"))

    def drop(self) -> None:
        engine = sa.create_engine(self.admin_url)
        with engine.begin() as conn:
            for name in (self.dagster_db, self.app_db):
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(sa.text(f"DROP USER IF EXISTS '{self.user}'@'%'"))
        engine.dispose()


def new_databases(admin_url: sa.URL) -> MysqlDatabases:
    tag = uuid.uuid4().hex[:10]
    return MysqlDatabases(
        admin_url, f"zt_dg_{tag}", f"zt_app_{tag}", f"zt_dg_{tag}", secrets.token_hex(12)
    )


def stack_env(
    root: Path, databases: MysqlDatabases, broker_url: str
) -> tuple[dict[str, str], str, str]:
    admin = databases.admin_url
    host, port = str(admin.host or "127.0.0.1"), str(admin.port or 3306)
    app_url = admin.set(database=databases.app_db).render_as_string(hide_password=False)
    dagster_url = sa.URL.create(
        "mysql+pymysql",
        username=databases.user,
        password=databases.password,
        host=host,
        port=int(port),
        database=databases.dagster_db,
    ).render_as_string(hide_password=False)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY_DIR / "dagster.yaml", home / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_MYSQL_USER": databases.user,
        "DAGSTER_MYSQL_PASSWORD": databases.password,
        "DAGSTER_MYSQL_HOST": host,
        "DAGSTER_MYSQL_PORT": port,
        "DAGSTER_MYSQL_DB": databases.dagster_db,
        "DAGSTER_GRPC_HOST": "127.0.0.1",
        "DAGSTER_GRPC_PORT": str(free_port()),
        "DAGSTER_WEBSERVER_HOST": "127.0.0.1",
        "DAGSTER_WEBSERVER_PORT": str(free_port()),
        "ZARTSALGO_WEBHOOK_HOST": "127.0.0.1",
        "ZARTSALGO_WEBHOOK_PORT": str(free_port()),
        "ZARTSALGO_DATABASE_URL": app_url,
        "ZARTSALGO_DATA_DIR": str(root / "data"),
        "ZARTSALGO_CELERY_BROKER_URL": broker_url,
        "HUBSPOT_PRIVATE_APP_TOKEN": TOKEN,
        "QUOTE_REQUEST_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return env, dagster_url, app_url


def started_stack(root: Path, admin_url: sa.URL, broker_url: str) -> Iterator[Stack]:
    """Databases, fake API and the four services; everything is removed again afterwards."""
    from zartsalgo_pipelines.storage.migrate import upgrade_head

    databases = new_databases(admin_url)
    databases.create()
    api, server = start_api()
    stack = None
    try:
        write_project(root, api.url)
        env, dagster_url, app_url = stack_env(root, databases, broker_url)
        upgrade_head(app_url)
        stack = Stack(
            root=root,
            env=env,
            api=api,
            dagster_db_url=dagster_url,
            app_db_url=app_url,
            location="zartsalgo_pipelines",
            web_url=f"http://127.0.0.1:{env['DAGSTER_WEBSERVER_PORT']}",
            log=root / "stack.log",
        )
        stack.start()
        wait_for(
            stack.healthy,
            "code server, webserver, daemon and receiver to be healthy",
            progress=lambda: stack.log.stat().st_size if stack.log.exists() else 0,
        )
        yield stack
    finally:
        if stack is not None:
            stack.stop()
        api.gate.set()
        server.shutdown()
        server.server_close()
        databases.drop()


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
    ... on PipelineNotFoundError { message }
  }
}
"""

RUN_STATUS = """
query Status($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }
"""

DAEMON_HEALTH = """
query { instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }
"""
