"""Fixtures of the factory tests: the project's definitions on the test database, and a
throwaway Dagster instance."""

from collections.abc import Iterator

import dagster as dg
import pytest

from zartsalgo_pipelines.definitions import build_definitions


@pytest.fixture
def definitions(db_url: str, monkeypatch: pytest.MonkeyPatch) -> dg.Definitions:
    monkeypatch.setenv("ZARTSALGO_DATABASE_URL", db_url)  # the resource the definitions build
    return build_definitions()


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance
