"""A `rest_api` source read page by page: the spec's request, paginator, record selection and
incremental cursor. Every failure names the provider and a URL without secrets, and says what
was wrong; nothing here writes to the database (``pipeline.api_extract`` lands the pages).
"""

import copy
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import requests

from zartsalgo_pipelines.jsonpaths import compile_getter
from zartsalgo_pipelines.sources.rest.client import HttpSession, open_session
from zartsalgo_pipelines.sources.rest.errors import (
    AuthFailedError,
    ExtractError,
    MalformedResponseError,
    PaginationLoopError,
    RateLimitedError,
    RetryBudgetExceededError,
    UnreachableError,
)
from zartsalgo_pipelines.sources.rest.paginators import (
    BasePaginator,
    create_paginator,
    json_kind,
    set_body_path,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.rest import RestSource


@dataclass(frozen=True)
class Page:
    """One answer's records, with its number in the sync and its secret-free URL."""

    number: int
    url: str  # secret-free
    records: list[Any]


def open_provider_session(spec: ProviderSpec) -> HttpSession:
    """The HTTP session for a provider's REST source (its auth, retries, budget, timeout)."""
    source = spec.rest_source
    return open_session(
        spec.auth,
        source.http_retries,
        provider_key=spec.key,
        min_interval=source.rate_limit.min_interval_seconds,
        timeout=source.timeout_seconds,
    )


def iter_pages(
    spec: ProviderSpec,
    http: HttpSession,
    *,
    incremental_value: str | int | None = None,
    page_limit: int | None = None,
) -> Iterator[Page]:
    """The provider's pages in order, following the spec's paginator until a stop condition.

    ``page_limit`` stops early (a connection check reads one page); ``max_pages`` in the spec
    is a guard and fails the extract when exceeded.

    Raises:
        ExtractError: or one of its subclasses, naming the provider and a secret-free URL.
    """
    source = spec.rest_source
    request = first_request(source, incremental_value)
    paginator = create_paginator(source.paginator)
    paginator.init_request(request)
    records_of = compile_getter(source.records_path)
    for number in itertools.count(1):
        if number > source.max_pages:
            raise ExtractError(
                f"Provider `{spec.key}`: more than source.max_pages ({source.max_pages}) pages; "
                "raise it if the API really is that long"
            )
        where = _describe(spec, http, request)
        response = _send(http, request, where)
        data = _json(response, where)
        records = _records(records_of(data), source.records_path, where)
        yield Page(number, where.split(": ", 1)[1], records)
        if page_limit is not None and number >= page_limit:
            return
        if not records and paginator.stop_after_empty_page:
            return
        if not _next_page(paginator, response, data, where):
            return


def first_request(source: RestSource, incremental_value: str | int | None) -> requests.Request:
    """The first page's request: the spec's URL, params and body, with the incremental value
    (if any) put where the spec says; the paginator adds its own parameters."""
    url = source.base_url.rstrip("/") + ("/" + source.path.lstrip("/") if source.path else "")
    params: dict[str, Any] = dict(source.params)
    body = copy.deepcopy(source.body)
    incremental = source.incremental
    if incremental is not None and incremental_value is not None:
        if incremental.param:
            params = params | {incremental.param: incremental_value}
        elif incremental.body_path and body is not None:
            set_body_path(body, incremental.body_path, incremental_value)
    return requests.Request(source.method, url, params=params, json=body)


def _next_page(
    paginator: BasePaginator, response: requests.Response, data: Any, where: str
) -> bool:
    try:
        return paginator.update(response, data)
    except (MalformedResponseError, PaginationLoopError) as error:
        raise type(error)(f"{where}: {error}") from None


def _describe(spec: ProviderSpec, http: HttpSession, request: requests.Request) -> str:
    prepared = requests.Request(request.method, request.url, params=request.params).prepare()
    url = http.redactor.url(prepared.url or request.url)
    return f"Provider `{spec.key}`: {request.method} {url}"


def _send(http: HttpSession, request: requests.Request, where: str) -> requests.Response:
    try:
        response = http.request(
            request.method, request.url, params=request.params, body=request.json
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
    _classify_status(response.status_code, f"after {http.stats.retries} retries", where)
    return response


def _classify_status(status: int, retries: str, where: str) -> None:
    if status in (401, 403):
        raise AuthFailedError(
            f"{where}: the provider refused the credentials (HTTP {status})", f"HTTP {status}"
        )
    if status == 429:
        raise RateLimitedError(f"{where}: still rate limited (HTTP 429) {retries}")
    if status >= 500:
        raise UnreachableError(f"{where}: HTTP {status} {retries}")
    if status >= 400 or status < 200:
        raise ExtractError(f"{where}: HTTP {status}; check source.path, params and body")


def _json(response: requests.Response, where: str) -> Any:
    content_type = response.headers.get("Content-Type", "none")
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        looks_html = "html" in content_type or response.content.lstrip()[:1] == b"<"
        kind = "an HTML page" if looks_html else "not valid JSON"
        raise MalformedResponseError(
            f"{where}: the response is {kind} (HTTP {response.status_code}, Content-Type "
            f"{content_type}, {len(response.content)} bytes)"
        ) from None


def _records(records: Any, records_path: str, where: str) -> list[Any]:
    if not isinstance(records, list):
        found = "nothing" if records is None else f"a JSON {json_kind(records)}"
        raise MalformedResponseError(
            f"{where}: records_path `{records_path}` found {found}, not a list of records"
        )
    return records
