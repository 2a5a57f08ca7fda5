"""Shared by the REST source tests: a spec over the fake API's `/items/...` routes and a reader
of every record of a sync."""

from collections.abc import Callable
from typing import Any

from zartsalgo_pipelines.sources.rest import iter_pages, open_provider_session
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi

FAST_RETRIES = {"max_retries": 3, "backoff_factor": 0.01, "jitter_seconds": 0.01}


def rest_spec(make_spec: Callable[..., ProviderSpec], api: FakeApi, **source: Any) -> ProviderSpec:
    """The shipped quote_request field map, reading the fake API's `/items/...` routes."""
    auth = source.pop("auth", {"model": "none"})
    base = {
        "kind": "rest_api",
        "base_url": api.url,
        "path": "/items/single",
        "records_path": "data",
        "http_retries": FAST_RETRIES,
        "timeout_seconds": 5,
    }
    return make_spec(source=base | source, auth=auth, webhook=None)


def read_all(spec: ProviderSpec, **kwargs: Any) -> list[dict[str, Any]]:
    with open_provider_session(spec) as http:
        return [r for page in iter_pages(spec, http, **kwargs) for r in page.records]


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in records]
