"""One request series of a `rest_api` source: a first request and the pages its paginator
follows. ``pages.iter_pages`` runs one series per account and window; the fan-out's parent
endpoint is a series too. Every failure names the provider and a URL without secrets, and says
what was wrong, in the provider's own words where it gave some."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from zartsalgo_pipelines.jsonpaths import ExpressionFailure, compile_safe_getter
from zartsalgo_pipelines.sources import jsontext
from zartsalgo_pipelines.sources.rest.client import HttpSession
from zartsalgo_pipelines.sources.rest.error_codes import Meaning, meaning_of
from zartsalgo_pipelines.sources.rest.errors import (
    AuthFailedError,
    ExtractError,
    MalformedResponseError,
    PaginationLoopError,
    RateLimitedError,
    RetryBudgetExceededError,
    UnreachableError,
)
from zartsalgo_pipelines.sources.rest.paginators import BasePaginator, create_paginator, json_kind
from zartsalgo_pipelines.sources.rest.redaction import provider_says


@dataclass
class PageGuard:
    """Pages of one extract, every series together, against ``source.max_pages``."""

    provider_key: str
    max_pages: int
    pages: int = 0

    def count(self) -> None:
        self.pages += 1
        if self.pages > self.max_pages:
            raise ExtractError(
                f"Provider `{self.provider_key}`: more than source.max_pages ({self.max_pages}) "
                "pages; raise it if the API really is that long"
            )


def follow(
    http: HttpSession,
    request: requests.Request,
    paginator_config: Any,
    records_path: str,
    guard: PageGuard,
) -> Iterator[tuple[str, list[Any]]]:
    """The pages of one series, in order: each its secret-free URL and its records.

    Raises:
        ExtractError: or one of its subclasses, naming the provider and a secret-free URL.
    """
    paginator = create_paginator(paginator_config)
    paginator.init_request(request)
    records_of = compile_safe_getter(records_path)
    while True:
        guard.count()
        where = _describe(guard.provider_key, http, request)
        response = _send(http, request, where)
        data = _json(response, where)
        records = _records(records_of(data), records_path, where)
        yield where.split(": ", 1)[1], records
        if not records and paginator.stop_after_empty_page:
            return
        if not _next_page(paginator, response, data, where):
            return


def _next_page(
    paginator: BasePaginator, response: requests.Response, data: Any, where: str
) -> bool:
    try:
        return paginator.update(response, data)
    except (MalformedResponseError, PaginationLoopError) as error:
        raise type(error)(f"{where}: {error}") from None


def _describe(provider_key: str, http: HttpSession, request: requests.Request) -> str:
    prepared = requests.Request(request.method, request.url, params=request.params).prepare()
    url = http.redactor.url(prepared.url or request.url)
    return f"Provider `{provider_key}`: {request.method} {url}"


def _send(http: HttpSession, request: requests.Request, where: str) -> requests.Response:
    try:
        response = http.request(
            request.method,
            request.url,
            params=request.params,
            body=request.json,
            headers=request.headers,
        )
    except RetryBudgetExceededError as error:
        raise RetryBudgetExceededError(f"{where}: {error}") from None
    except requests.Timeout:
        raise UnreachableError(
            f"{where}: no answer within {http.timeout:g} s (after {http.stats.retries} retries)"
        ) from None
    except requests.RequestException as error:
        # The exception text may hold the URL with its query (an API key): never pass it on.
        raise UnreachableError(
            f"{where}: unreachable ({type(error).__name__}, after {http.stats.retries} retries)"
        ) from None
    if response.status_code >= 400 or response.status_code < 200:
        says = provider_says(response, http.redactor)
        said = meaning_of(http.error_codes, response)
        retries = f"after {http.stats.retries} retries"
        _classify_status(response.status_code, retries, where, says, said)
    return response


def _classify_status(
    status: int, retries: str, where: str, says: str, said: Meaning | None = None
) -> None:
    """Raise the error of a non-2xx answer; ``says`` is the provider's own message, masked;
    ``said`` what a declared error code in the body means: it wins over the status (GitHub
    says a spent rate limit with 403, which alone reads as refused credentials)."""
    if said == "rate_limited":
        raise RateLimitedError(f"{where}: still rate limited (HTTP {status}) {retries}{says}")
    if status in (401, 403) or said == "auth_failed":
        raise AuthFailedError(
            f"{where}: the provider refused the credentials (HTTP {status}){says}",
            f"HTTP {status}",
        )
    if status == 429:
        raise RateLimitedError(f"{where}: still rate limited (HTTP {status}) {retries}{says}")
    if status >= 500:
        raise UnreachableError(f"{where}: HTTP {status} {retries}{says}")
    raise ExtractError(f"{where}: HTTP {status}{says}; check source.path, params and body")


def _json(response: requests.Response, where: str) -> Any:
    content_type = response.headers.get("Content-Type", "none")
    try:
        return jsontext.loads(response.content)  # integers of any length kept as sent
    except jsontext.JSONDecodeError:
        looks_html = "html" in content_type or response.content.lstrip()[:1] == b"<"
        kind = "an HTML page" if looks_html else "not valid JSON"
        raise MalformedResponseError(
            f"{where}: the response is {kind} (HTTP {response.status_code}, Content-Type "
            f"{content_type}, {len(response.content)} bytes)"
        ) from None


def _records(records: Any, records_path: str, where: str) -> list[Any]:
    if isinstance(records, ExpressionFailure):
        raise MalformedResponseError(f"{where}: {records.check('records_path')}")
    if not isinstance(records, list):
        found = "nothing" if records is None else f"a JSON {json_kind(records)}"
        raise MalformedResponseError(
            f"{where}: records_path `{records_path}` found {found}, not a list of records"
        )
    return records
