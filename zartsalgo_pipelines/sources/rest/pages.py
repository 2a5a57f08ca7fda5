"""A `rest_api` source read page by page: the spec's request, once per fan-out account and date
window, each followed by its paginator. Every failure names the provider and a URL without
secrets, and says what was wrong; nothing here writes to the database
(``pipeline.api_extract`` lands the pages).
"""

import copy
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from zartsalgo_pipelines.sources.rest.client import HttpSession, open_session
from zartsalgo_pipelines.sources.rest.fan_out import Account, accounts_of
from zartsalgo_pipelines.sources.rest.paginators import set_body_path
from zartsalgo_pipelines.sources.rest.series import PageGuard, follow
from zartsalgo_pipelines.sources.rest.windows import Window, windows_of
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.paginators import body_value
from zartsalgo_pipelines.specs.rest import RestSource


@dataclass(frozen=True)
class Page:
    """One answer's records, with its number in the sync and its secret-free URL."""

    number: int
    url: str  # secret-free
    records: list[Any]  # with `_account` on each object of a fan-out


def open_provider_session(spec: ProviderSpec) -> HttpSession:
    """The HTTP session for a provider's REST source (its auth, retries, budget, timeout)."""
    source = spec.rest_source
    return open_session(
        spec.auth,
        source.http_retries,
        provider_key=spec.key,
        min_interval=source.rate_limit.min_interval_seconds,
        timeout=source.timeout_seconds,
        error_codes=source.error_codes,
    )


def iter_pages(
    spec: ProviderSpec,
    http: HttpSession,
    *,
    since: dt.datetime | int | None = None,
    page_limit: int | None = None,
    now: dt.datetime | None = None,
) -> Iterator[Page]:
    """The provider's pages in order: for each fan-out account (the parent endpoint read
    first), each date window from ``since`` (``start_cursor``) to ``now``, every page.

    ``page_limit`` stops early (a connection check reads one page); ``max_pages`` in the spec
    is a guard over all of them and fails the extract when exceeded.

    Raises:
        ExtractError: or one of its subclasses, naming the provider and a secret-free URL.
    """
    source = spec.rest_source
    guard = PageGuard(spec.key, source.max_pages)
    windows = windows_of(source.incremental, since, now)
    number = 0
    for account in accounts_of(source, http, guard):
        for window in windows:
            request = first_request(source, window, account)
            for url, records in follow(http, request, source.paginator, source.records_path, guard):
                number += 1
                if account is not None:
                    records = account.tag(records, f"Provider `{spec.key}`: {url}")
                yield Page(number, url, records)
                if page_limit is not None and number >= page_limit:
                    return


def first_request(
    source: RestSource, window: Window | None = None, account: Account | None = None
) -> requests.Request:
    """A series' first request: the spec's URL, params and body, with the window's bounds
    and the account id (if any) put where the spec says; the paginator adds its own."""
    url = source.base_url.rstrip("/") + ("/" + source.path.lstrip("/") if source.path else "")
    request = requests.Request(
        source.method,
        url,
        headers=dict(source.headers),
        params=dict(source.params),
        json=copy.deepcopy(source.body),
    )
    incremental = source.incremental
    if incremental is not None and window is not None:
        _put(request, incremental.param, incremental.body_path, window.start)
        _put(request, incremental.end_param, incremental.end_body_path, window.end)
        if incremental.json_param:  # the window as one JSON object: Meta's `time_range`
            keys = [k for k in (incremental.param, incremental.end_param) if k in request.params]
            bounds = {k: request.params.pop(k) for k in keys}
            request.params[incremental.json_param] = json.dumps(bounds, separators=(",", ":"))
        if incremental.text_path and isinstance(request.json, dict):  # Google Ads' GAQL text
            text = str(body_value(request.json, incremental.text_path))
            for placeholder, value in (("{start}", window.start), ("{end}", window.end)):
                text = text.replace(placeholder, "" if value is None else str(value))
            set_body_path(request.json, incremental.text_path, text)
    if account is not None and source.fan_out is not None:
        account.place(source.fan_out, request)
    return request


def _put(request: requests.Request, param: str | None, body_path: str | None, value: Any) -> None:
    if value is None:
        return
    if param:
        request.params = request.params | {param: value}
    elif body_path and request.json is not None:
        set_body_path(request.json, body_path, value)
