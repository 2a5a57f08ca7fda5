"""The HTTP client against a real HTTP server on 127.0.0.1: retries of 429 / 5xx / timeouts with
backoff and their counts, retries running out, the total-wait cap, the request budget, and no
secret of a query string in urllib3's log lines."""

import logging
from collections.abc import Callable

import pytest

from zartsalgo_pipelines.sources.rest import (
    RateLimitedError,
    RequestBudget,
    RetryBudgetExceededError,
    UnreachableError,
    iter_pages,
    open_provider_session,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi, Fault
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.sources.rest.helpers import FAST_RETRIES, read_all, rest_spec


def test_429_with_retry_after_is_waited_out_and_recorded(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 8)]
    fake_api.faults = {2: Fault(429, b'{"message": "slow down"}', {"Retry-After": "1"})}
    spec = rest_spec(make_spec, fake_api, path="/items/page", paginator={"type": "page_number"})
    with open_provider_session(spec) as http:
        records = [r for p in iter_pages(spec, http) for r in p.records]
        stats = http.stats
    assert len(records) == 7
    assert stats.rate_limit_hits == 1 and stats.retries == 1
    assert stats.rate_limit_wait_seconds >= 1.0  # Retry-After: 1 was honoured
    assert [s.query["page"] for s in fake_api.api_requests()] == ["1", "2", "2", "3", "4"]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(500), id="500"),
        pytest.param(Fault(503), id="503"),
        pytest.param(Fault(hold=True), id="timeout"),
    ],
)
def test_5xx_and_timeouts_are_retried_with_backoff(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], fault: Fault
) -> None:
    fake_api.items = [quote(n) for n in range(1, 8)]
    fake_api.faults = {1: fault, 2: fault}
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        timeout_seconds=0.5,
    )
    with open_provider_session(spec) as http:
        records = [r for p in iter_pages(spec, http) for r in p.records]
        stats = http.stats
    assert len(records) == 7
    assert stats.retries == 2 and stats.rate_limit_hits == 0
    assert stats.retry_wait_seconds > 0  # backoff (with jitter) between the attempts


def test_retries_run_out_with_a_clear_error(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.faults = {n: Fault(502) for n in range(1, 10)}
    spec = rest_spec(make_spec, fake_api)
    with pytest.raises(UnreachableError, match=r"HTTP 502 after 3 retries"):
        read_all(spec)
    assert len(fake_api.api_requests()) == 4


def test_still_rate_limited_after_the_retries(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.faults = {n: Fault(429, headers={"Retry-After": "0"}) for n in range(1, 10)}
    with pytest.raises(RateLimitedError, match=r"still rate limited \(HTTP 429\) after 3 retries"):
        read_all(rest_spec(make_spec, fake_api))


def test_the_total_wait_is_capped(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.faults = {1: Fault(429, headers={"Retry-After": "3600"})}
    spec = rest_spec(
        make_spec, fake_api, http_retries=FAST_RETRIES | {"max_total_wait_seconds": 60}
    )
    with pytest.raises(RetryBudgetExceededError, match=r"waiting 3600 s more would pass"):
        read_all(spec)
    assert len(fake_api.api_requests()) == 1  # it did not sleep an hour first


def test_the_request_budget_keeps_a_sync_under_the_providers_limit(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 16)]
    # The provider answers 429 to requests closer than 50 ms; the budget spaces them 250 ms
    # apart. The slack is wide because the server reads its clock when its thread gets to the
    # request, and on a loaded machine two spaced requests can be handled close together.
    fake_api.min_gap_seconds = 0.05
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        rate_limit={"requests_per_second": 4},
    )
    with open_provider_session(spec) as http:
        records = [r for p in iter_pages(spec, http) for r in p.records]
        stats = http.stats
    assert len(records) == 15
    assert stats.rate_limit_hits == 0 and stats.budget_wait_seconds > 0


def test_request_budget_spaces_requests_by_its_interval() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    budget = RequestBudget(0.25, clock=lambda: now[0], sleep=sleep)
    waits = [budget.acquire(), budget.acquire(), budget.acquire(at_least=1.0)]
    now[0] += 5  # idle long enough: no wait
    waits.append(budget.acquire())
    assert waits == [0.0, 0.25, 1.0, 0.0]
    assert slept == [0.25, 1.0]


def test_secrets_in_query_strings_never_reach_urllib3_logs(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_api.items = [quote(1)]
    fake_api.faults = {1: Fault(503, headers={"Retry-After": "0"})}
    fake_api.auth = ("api_key_query", "api_key", "very-secret-key")
    monkeypatch.setenv("T_KEY", "very-secret-key")
    spec = rest_spec(
        make_spec,
        fake_api,
        auth={
            "model": "api_key",
            "credentials": {"api_key": "T_KEY"},
            "api_key_name": "api_key",
            "api_key_location": "query",
        },
    )
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        assert len(read_all(spec)) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "api_key=" in logged  # urllib3 did log the retried URL ...
    assert "very-secret-key" not in logged  # ... with the key masked
