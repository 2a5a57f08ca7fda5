"""A `rest_api` source read page by page: the spec's request, paginator, record selection and
incremental cursor. Every failure names the provider and a URL without secrets, and says what
was wrong; nothing here writes to the database (``pipeline.api_extract`` lands the pages).
"""

import copy
import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import orjson
import requests

from zartsalgo_pipelines.jsonpaths import compile_getter
from zartsalgo_pipelines.sources.http import (
    AuthFailedError,
    ExtractError,
    HttpSession,
    RetryBudgetExceededError,
    UnreachableError,
    open_session,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.rest import IncrementalSpec


class MalformedResponseError(ExtractError):
    """An answer that is not what the spec expects: not JSON, or records that are not a list."""


class RateLimitedError(ExtractError):
    """The provider still answered 429 when the retries ran out."""


class PaginationLoopError(ExtractError):
    """The provider sent a cursor or next link it had already sent: stop instead of looping."""


@dataclass(frozen=True)
class Page:
    number: int
    url: str  # secret-free
    records: list[Any]


def open_provider_session(spec: ProviderSpec) -> HttpSession:
    source = spec.rest_source
    return open_session(
        spec.auth,
        source.http_retries,
        provider_key=spec.key,
        min_interval=source.rate_limit.min_interval_seconds,
        timeout=source.timeout_seconds,
    )


# --- incremental cursor ------------------------------------------------------------------------


def parse_cursor(incremental: IncrementalSpec, value: Any) -> dt.datetime | int | None:
    """A record's cursor value as a comparable datetime (UTC) or integer; None if unusable."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if incremental.cursor_type == "integer":
            return int(value)
        if isinstance(value, int | float):  # epoch milliseconds or seconds
            seconds = value / 1000 if value > 10**11 else value
            return dt.datetime.fromtimestamp(seconds, dt.UTC)
        parsed = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def store_cursor(value: dt.datetime | int) -> str:
    """How a cursor value is kept on the batch and the connection."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def cursor_to_send(
    incremental: IncrementalSpec, stored: str | None, *, full_resync: bool = False
) -> str | int:
    """The value the next request carries: the stored high-water mark minus the lookback, or
    the initial value on a first or full sync."""
    raw = incremental.initial_value if full_resync or stored is None else stored
    value = parse_cursor(incremental, raw)
    if value is None:
        raise ExtractError(f"incremental cursor value {raw!r} is not a {incremental.cursor_type}")
    if isinstance(value, dt.datetime):
        value -= dt.timedelta(seconds=incremental.lookback_seconds)
        if incremental.send_as == "epoch_seconds":
            return int(value.timestamp())
        if incremental.send_as == "epoch_milliseconds":
            return int(value.timestamp() * 1000)
        return store_cursor(value.replace(microsecond=0))
    return value - int(incremental.lookback_seconds)


class HighWaterMark:
    """The highest cursor value among the records of an extract."""

    def __init__(self, incremental: IncrementalSpec) -> None:
        self.incremental = incremental
        self._get = compile_getter(incremental.cursor_path)
        self.value: dt.datetime | int | None = None

    def see(self, records: list[Any]) -> None:
        for record in records:
            if not isinstance(record, dict):
                continue
            value = parse_cursor(self.incremental, self._get(record))
            if value is not None and (self.value is None or value > self.value):  # type: ignore[operator]
                self.value = value

    @property
    def stored(self) -> str | None:
        return None if self.value is None else store_cursor(self.value)


def newer_cursor(incremental: IncrementalSpec, current: str | None, candidate: str | None) -> bool:
    """Whether ``candidate`` moves the stored cursor forward (it never moves back)."""
    new = parse_cursor(incremental, candidate)
    if new is None:
        return False
    old = parse_cursor(incremental, current)
    return old is None or new > old  # type: ignore[operator]


# --- pages -------------------------------------------------------------------------------------


def set_body_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Put ``value`` at a dotted path of the request body; numeric parts index lists."""
    parts = path.split(".")
    node: Any = body
    for part, following in itertools.pairwise(parts):
        key: Any = int(part) if isinstance(node, list) else part
        if isinstance(node, dict) and key not in node:
            node[key] = [] if following.isdigit() else {}
        node = node[key]
    last: Any = int(parts[-1]) if isinstance(node, list) else parts[-1]
    if isinstance(node, list):
        while len(node) <= last:
            node.append(None)
    node[last] = value


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
    """
    source = spec.rest_source
    paginator = source.paginator
    url = source.base_url.rstrip("/") + ("/" + source.path.lstrip("/") if source.path else "")
    params: dict[str, Any] | None = dict(source.params)
    body = copy.deepcopy(source.body)
    incremental = source.incremental
    if incremental is not None and incremental_value is not None:
        if incremental.param:
            params = (params or {}) | {incremental.param: incremental_value}
        elif incremental.body_path and body is not None:
            set_body_path(body, incremental.body_path, incremental_value)
    records_of = compile_getter(source.records_path)
    page_value = getattr(paginator, "base_page", 1)
    offset = 0
    if paginator.type == "page_number":
        params = (params or {}) | {paginator.page_param: page_value}
        if paginator.page_size_param:
            params[paginator.page_size_param] = paginator.page_size
    elif paginator.type == "offset":
        params = (params or {}) | {
            paginator.offset_param: 0,
            paginator.limit_param: paginator.limit,
        }
    seen: set[str] = set()
    for number in itertools.count(1):
        if number > source.max_pages:
            raise ExtractError(
                f"Provider `{spec.key}`: more than source.max_pages ({source.max_pages}) pages; "
                "raise it if the API really is that long"
            )
        where = _describe(spec, http, source.method, url, params)
        response = _send(http, source.method, url, params, body, where)
        data = _json(response, where)
        records = records_of(data)
        if not isinstance(records, list):
            found = "nothing" if records is None else f"a JSON {_json_kind(records)}"
            raise MalformedResponseError(
                f"{where}: records_path `{source.records_path}` found {found}, "
                "not a list of records"
            )
        yield Page(number, where.split(": ", 1)[1], records)
        if page_limit is not None and number >= page_limit:
            return
        has_more_path = getattr(paginator, "has_more_path", None)
        if has_more_path and not compile_getter(has_more_path)(data):
            return
        if not records and getattr(paginator, "stop_after_empty_page", True):
            return
        if paginator.type == "single_page":
            return
        if paginator.type == "page_number":
            page_value += 1
            total = (
                _number(compile_getter(paginator.total_path)(data))
                if paginator.total_path
                else None
            )
            if total is not None and page_value > paginator.base_page + total - 1:
                return
            if paginator.maximum_page is not None and page_value > paginator.maximum_page:
                return
            params = (params or {}) | {paginator.page_param: page_value}
        elif paginator.type == "offset":
            offset += paginator.limit
            total = (
                _number(compile_getter(paginator.total_path)(data))
                if paginator.total_path
                else None
            )
            if total is not None and offset >= total:
                return
            params = (params or {}) | {paginator.offset_param: offset}
        elif paginator.type == "cursor":
            cursor = compile_getter(paginator.cursor_path)(data)
            if cursor is None or cursor == "":
                return
            if isinstance(cursor, dict | list):
                raise MalformedResponseError(
                    f"{where}: cursor_path `{paginator.cursor_path}` is a JSON "
                    f"{_json_kind(cursor)}, not a cursor value"
                )
            _guard_repeat(seen, str(cursor), where, "cursor")
            if paginator.cursor_param:
                params = (params or {}) | {paginator.cursor_param: cursor}
            elif paginator.cursor_body_path and body is not None:
                set_body_path(body, paginator.cursor_body_path, cursor)
        else:
            if paginator.type == "json_link":
                link = compile_getter(paginator.next_url_path)(data)
            else:
                link = response.links.get(paginator.links_next_key, {}).get("url")
            if not link:
                return
            if not isinstance(link, str):
                raise MalformedResponseError(f"{where}: the next link is not a URL string")
            url = urljoin(response.url, link)
            _guard_repeat(seen, url, where, "next link")
            params = None  # the link carries the query of the next page


def _describe(
    spec: ProviderSpec, http: HttpSession, method: str, url: str, params: dict[str, Any] | None
) -> str:
    prepared = requests.Request(method, url, params=params).prepare()
    return f"Provider `{spec.key}`: {method} {http.redactor.url(prepared.url or url)}"


def _send(
    http: HttpSession,
    method: str,
    url: str,
    params: dict[str, Any] | None,
    body: Any,
    where: str,
) -> requests.Response:
    try:
        response = http.request(method, url, params=params, body=body)
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
    status = response.status_code
    retries = f"after {http.stats.retries} retries"
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
    return response


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


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, int | float) else "null"
    )


def _number(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _guard_repeat(seen: set[str], value: str, where: str, what: str) -> None:
    if value in seen:
        raise PaginationLoopError(
            f"{where}: the provider sent the same {what} twice; stopping instead of looping"
        )
    seen.add(value)


__all__ = [
    "AuthFailedError",
    "ExtractError",
    "HighWaterMark",
    "MalformedResponseError",
    "Page",
    "PaginationLoopError",
    "RateLimitedError",
    "UnreachableError",
    "cursor_to_send",
    "iter_pages",
    "newer_cursor",
    "open_provider_session",
]
