"""Scenario: the committed deployment files hold no secret and name every variable they read.

Dagster's instance and workspace read credentials and addresses with `{env: ...}`; the Procfile
and units read `$VARIABLES`; every one of them is in deploy/env.example (whose secrets are empty)
and in docs/deploying.md; the compose and Helm values files are valid YAML.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from zartsalgo_pipelines.settings import REPOSITORY_DIR

DEPLOY = REPOSITORY_DIR / "deploy"
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN")


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def env_references(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return set().union(*(env_references(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(env_references(v) for v in node))
    return set()


def test_instance_storage_reads_every_field_from_the_environment() -> None:
    instance = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    fields = instance["storage"]["mysql"]["mysql_db"]
    assert all(set(value) == {"env"} for value in fields.values()), fields


@pytest.mark.parametrize("path", [DEPLOY / "dagster.yaml", REPOSITORY_DIR / "dagster.yaml"])
def test_pool_slots_of_a_dead_run_are_given_back(path: Path) -> None:
    """Both instance files limit pools (the portal, each REST extract); a run that dies
    holding a slot must not keep it, or every later sync waits at that step for good. Dagster
    frees such slots only when run monitoring is told after how long."""
    instance = yaml.safe_load(path.read_text())
    assert instance["concurrency"]["pools"]["default_limit"] == 1
    monitoring = instance["run_monitoring"]
    assert monitoring["enabled"] is True
    assert 0 < monitoring["free_slots_after_run_end_seconds"] <= 300


@pytest.mark.parametrize("name", ["dagster.yaml", "workspace.yaml"])
def test_every_variable_is_listed_and_documented(name: str) -> None:
    used = env_references(yaml.safe_load((DEPLOY / name).read_text()))
    docs = (REPOSITORY_DIR / "docs" / "deploying.md").read_text()
    assert used and used <= set(env_example())
    assert all(f"`{variable}`" in docs for variable in used)


@pytest.mark.parametrize(
    "path",
    [
        "Procfile",
        "Procfile.workers",
        *(f"systemd/{p.name}" for p in (DEPLOY / "systemd").iterdir()),
    ],
)
def test_commands_read_only_listed_variables(path: str) -> None:
    text = (DEPLOY / path).read_text()
    used = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", text)) - {"PORT", "DAGSTER_HOME"}
    assert used <= set(env_example()), used - set(env_example())


def test_the_example_environment_holds_no_secret() -> None:
    for name, value in env_example().items():
        if any(word in name for word in SECRET_WORDS):
            assert value == "", name
    assert ":PASSWORD@" in env_example()["ZARTSALGO_DATABASE_URL"]  # a placeholder, not a value


def test_the_procfile_runs_the_four_services() -> None:
    names = [
        line.split(":", 1)[0]
        for line in (DEPLOY / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert names == ["code", "web", "daemon", "receiver"]


@pytest.mark.parametrize("path", ["compose.yaml", "kubernetes/values.yaml"])
def test_container_files_are_valid_yaml(path: str) -> None:
    assert isinstance(yaml.safe_load((DEPLOY / path).read_text()), dict)


def test_no_file_names_this_machine() -> None:
    for file in Path(DEPLOY).rglob("*"):
        if file.is_file():
            assert str(REPOSITORY_DIR) not in file.read_text(), file
