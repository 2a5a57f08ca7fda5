"""The REST source's errors: each class derives from the project-wide ``ZartsalgoError`` through
``ExtractError`` (or directly, for a registry's unknown name) and says by its ``retryable`` flag
whether a later attempt may succeed."""

import pytest

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.sources.rest import (
    AuthFailedError,
    ExtractError,
    MalformedResponseError,
    PaginationLoopError,
    RateLimitedError,
    RetryBudgetExceededError,
    UnknownNameError,
    UnreachableError,
)

RETRYABLE = [
    pytest.param(ZartsalgoError, ZartsalgoError, False, id="ZartsalgoError"),
    pytest.param(ExtractError, ZartsalgoError, False, id="ExtractError"),
    pytest.param(AuthFailedError, ExtractError, False, id="AuthFailedError"),
    pytest.param(UnreachableError, ExtractError, True, id="UnreachableError"),
    pytest.param(RetryBudgetExceededError, ExtractError, True, id="RetryBudgetExceededError"),
    pytest.param(MalformedResponseError, ExtractError, False, id="MalformedResponseError"),
    pytest.param(RateLimitedError, ExtractError, True, id="RateLimitedError"),
    pytest.param(PaginationLoopError, ExtractError, False, id="PaginationLoopError"),
    pytest.param(UnknownNameError, ZartsalgoError, False, id="UnknownNameError"),
]


@pytest.mark.parametrize(("cls", "parent", "retryable"), RETRYABLE)
def test_each_error_says_whether_a_later_attempt_may_succeed(
    cls: type[ZartsalgoError], parent: type[ZartsalgoError], retryable: bool
) -> None:
    assert issubclass(cls, parent) and issubclass(cls, ZartsalgoError)
    assert cls.retryable is retryable


def test_the_flag_is_read_from_a_caught_instance() -> None:
    try:
        raise RateLimitedError("Provider `p`: GET http://x/: still rate limited (HTTP 429)")
    except ZartsalgoError as error:  # one except clause, then the flag decides
        assert error.retryable
    try:
        raise AuthFailedError("Provider `p`: refused (HTTP 401)", "HTTP 401")
    except ZartsalgoError as error:
        assert not error.retryable
