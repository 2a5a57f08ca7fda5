"""Scenario: the definitions a deployment relies on. Each REST provider's extract is in the
concurrency pool named after it (file providers have none); every provider has a sync job whose
executor sends steps to Celery workers (the deployment test runs it on real workers); and
lists in asset metadata are bounded, so no event body grows with a backlog (MySQL TEXT limit)."""

import dagster as dg
import pytest

from zartsalgo_pipelines.definitions import build_definitions
from zartsalgo_pipelines.factory.assets import METADATA_LIST_LIMIT, bounded_list


@pytest.mark.parametrize(
    ("provider", "pool"), [("crm_deals", "crm_deals"), ("quote_request", None)]
)
def test_rest_extracts_run_in_the_provider_pool(provider: str, pool: str | None) -> None:
    definitions = build_definitions()
    graph = definitions.resolve_asset_graph()
    node = graph.get(dg.AssetKey([provider, "raw_extract"]))
    assert node.pools == ({pool} if pool else set())
    others = ("mapped_records", "dead_letter", "client_metrics")
    assert all(not graph.get(dg.AssetKey([provider, name])).pools for name in others)


@pytest.mark.parametrize("provider", ["crm_deals", "quote_request"])
def test_each_provider_has_a_sync_job_on_celery_workers(provider: str) -> None:
    job = build_definitions().resolve_job_def(f"{provider}_sync_on_workers")
    assert job.executor_def.name == "celery_executor"
    selected = job.asset_layer.selected_asset_keys
    assert {k.path[0] for k in selected} == {provider} and len(selected) == 4


@pytest.mark.parametrize("size", [0, 1, METADATA_LIST_LIMIT, METADATA_LIST_LIMIT + 1, 10_000])
def test_metadata_lists_keep_their_last_items_and_the_count(size: int) -> None:
    items = list(range(size))
    bounded = bounded_list(items)
    if size <= METADATA_LIST_LIMIT:
        assert bounded == items
    else:
        assert bounded == {"count": size, "last": items[-METADATA_LIST_LIMIT:]}


def test_the_go_live_job_rewrites_cards_inside_the_portal_pool() -> None:
    """Go-live rebuilds the cards and notes (proof/golive.py decide): a portal step, one at a
    time with the refresh, or both rewrite the same cards and open the same incident at once."""
    job = build_definitions().resolve_job_def("portal_go_live")
    assert {node.definition.pool for node in job.graph.nodes} == {"portal"}
