"""Scenario: a declared `rate_limited` body code (``source.error_codes``) on a status urllib3
already retries, and Retry-After values that are not plain seconds. One logical request makes
at most ``http_retries.max_retries`` retries whoever makes them, and a Retry-After is read as
HTTP defines it (seconds or a date) or not at all, never as a crash."""

from collections.abc import Callable

import pytest

from zartsalgo_pipelines.sources.rest import RateLimitedError, RetryBudgetExceededError
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi, Fault
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.sources.rest.helpers import FAST_RETRIES, read_all, rest_spec

THROTTLED = b'{"error": {"code": 17, "message": "User request limit reached"}}'


def _spec(make_spec: Callable[..., ProviderSpec], api: FakeApi, status: int) -> ProviderSpec:
    rule = {"status": status, "path": "error.code", "values": [17], "means": "rate_limited"}
    return rest_spec(make_spec, api, error_codes=[rule], http_retries=FAST_RETRIES)


def test_a_code_on_a_retried_status_is_not_retried_twice_over(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.faults = {n: Fault(429, THROTTLED, {"Retry-After": "0"}) for n in range(1, 40)}
    with pytest.raises(RateLimitedError, match=r"after 3 retries"):
        read_all(_spec(make_spec, fake_api, 429))
    assert len(fake_api.api_requests()) == 1 + FAST_RETRIES["max_retries"]


@pytest.mark.parametrize("after", ["\u00b2", "soon", "-1", "1.5"])
def test_a_retry_after_that_is_not_seconds_falls_back_to_the_backoff(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], after: str
) -> None:
    fake_api.items = [quote(1)]
    fake_api.faults = {1: Fault(400, THROTTLED, {"Retry-After": after})}
    assert len(read_all(_spec(make_spec, fake_api, 400))) == 1
    assert len(fake_api.api_requests()) == 2


def test_a_retry_after_date_is_honoured_up_to_the_cap(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.faults = {1: Fault(400, THROTTLED, {"Retry-After": "Fri, 31 Dec 2100 23:59:59 GMT"})}
    with pytest.raises(RetryBudgetExceededError, match=r"max_total_wait_seconds"):
        read_all(_spec(make_spec, fake_api, 400))
    assert len(fake_api.api_requests()) == 1  # it did not retry early


def test_a_rate_limit_code_on_a_403_is_a_rate_limit_not_a_refused_credential(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    # GitHub answers a spent rate limit with 403; the declared code says what it is, and a
    # refused credential would mark the connection auth_failed and alert the owner.
    fake_api.faults = {n: Fault(403, THROTTLED, {"Retry-After": "0"}) for n in range(1, 10)}
    with pytest.raises(RateLimitedError, match=r"still rate limited \(HTTP 403\) after 3 retries"):
        read_all(_spec(make_spec, fake_api, 403))
    assert len(fake_api.api_requests()) == 1 + FAST_RETRIES["max_retries"]
