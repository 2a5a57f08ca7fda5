"""The `rest_api` source, in dlt's shape: ``client`` (session, retries, budget), ``auth`` and
``paginators`` (registries by spec name), ``incremental`` (the cursor), ``windows`` (date
windows), ``fan_out`` (accounts), ``series`` (one request's pages), ``pages`` (the loop),
``token_store`` (rotated refresh tokens) and ``errors`` (one hierarchy with a ``retryable``
flag). This face re-exports the public names."""

from zartsalgo_pipelines.errors import UnknownNameError
from zartsalgo_pipelines.sources.rest.client import (
    BudgetedRetry,
    HttpSession,
    HttpStats,
    RequestBudget,
    open_session,
)
from zartsalgo_pipelines.sources.rest.errors import (
    AuthFailedError,
    ExtractError,
    MalformedResponseError,
    PaginationLoopError,
    RateLimitedError,
    RetryBudgetExceededError,
    UnreachableError,
)
from zartsalgo_pipelines.sources.rest.incremental import (
    HighWaterMark,
    cursor_to_send,
    newer_cursor,
    parse_cursor,
    send_value,
    start_cursor,
    start_value,
    store_cursor,
)
from zartsalgo_pipelines.sources.rest.pages import Page, iter_pages, open_provider_session
from zartsalgo_pipelines.sources.rest.paginators import set_body_path
from zartsalgo_pipelines.sources.rest.redaction import Redactor
from zartsalgo_pipelines.sources.rest.windows import Window, windows_of

__all__ = [
    "AuthFailedError", "BudgetedRetry", "ExtractError", "HighWaterMark", "HttpSession",
    "HttpStats", "MalformedResponseError", "Page", "PaginationLoopError", "RateLimitedError",
    "Redactor", "RequestBudget", "RetryBudgetExceededError", "UnknownNameError",
    "UnreachableError", "Window", "cursor_to_send", "iter_pages", "newer_cursor",
    "open_provider_session", "open_session", "parse_cursor", "send_value", "set_body_path",
    "start_cursor", "start_value", "store_cursor", "windows_of",
]  # fmt: skip
