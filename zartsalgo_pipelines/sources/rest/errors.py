"""The REST source's errors: one hierarchy under ``ExtractError``, each class saying whether a
later attempt may succeed (``retryable``). Every message names the provider and a secret-free
URL and says what was wrong."""

from typing import ClassVar

from zartsalgo_pipelines.errors import ZartsalgoError


class ExtractError(ZartsalgoError):
    """An extract that cannot go on; the message names the provider and a secret-free URL.

    Raised as such for answers no retry changes: a 4xx other than 401/403/429, more pages than
    ``source.max_pages``, a token endpoint without a token, an unusable incremental cursor.
    """

    retryable: ClassVar[bool] = False


class AuthFailedError(ExtractError):
    """The provider refused the credentials (401/403, or the token endpoint said no)."""

    retryable: ClassVar[bool] = False  # the same credentials are refused again

    def __init__(self, message: str, answer: str) -> None:
        super().__init__(message)
        self.answer = answer  # e.g. "HTTP 401": what the connection record may show


class UnreachableError(ExtractError):
    """Connection errors, timeouts or 5xx answers outlasted the retries."""

    retryable: ClassVar[bool] = True  # the provider may be back on the next run


class RetryBudgetExceededError(ExtractError):
    """Waiting any longer would pass ``http_retries.max_total_wait_seconds``."""

    retryable: ClassVar[bool] = True  # the provider asked us to wait, not to stop


class MalformedResponseError(ExtractError):
    """An answer that is not what the spec expects: not JSON, or records that are not a list."""

    retryable: ClassVar[bool] = False  # the spec or the provider must change first


class RateLimitedError(ExtractError):
    """The provider still answered 429 when the retries ran out."""

    retryable: ClassVar[bool] = True  # the limit resets


class PaginationLoopError(ExtractError):
    """The provider sent a cursor or next link it had already sent: stop instead of looping."""

    retryable: ClassVar[bool] = False  # it would send the same cursor again
