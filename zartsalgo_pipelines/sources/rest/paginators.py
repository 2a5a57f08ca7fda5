"""The spec's ``paginator`` as an object, in dlt's shape: ``init_request`` sets the first page's
parameters or body, ``update(response, data)`` reads an answer, says whether there is a next page
and prepares its request. Getters are compiled once, when the paginator is built for a sync.
``PAGINATORS`` maps each ``paginator.type`` to its class."""

import itertools
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import requests

from zartsalgo_pipelines.errors import UnknownNameError
from zartsalgo_pipelines.jsonpaths import compile_getter
from zartsalgo_pipelines.sources.rest.errors import (
    MalformedResponseError,
    PaginationLoopError,
)
from zartsalgo_pipelines.sources.rest.sessions import origin
from zartsalgo_pipelines.specs import rest as rest_specs

Getter = Callable[[Any], Any]


class BasePaginator:
    """Follows one sync's pages. Built per sync: it remembers the cursors and links it has seen.

    Every paginator stops when ``has_more_path`` (where its spec has one) reads false; an empty
    page ends the sync unless ``stop_after_empty_page`` is false (page number and offset only).
    """

    def __init__(self, config: Any) -> None:
        has_more_path = getattr(config, "has_more_path", None)
        self._has_more: Getter | None = compile_getter(has_more_path) if has_more_path else None
        self.stop_after_empty_page: bool = getattr(config, "stop_after_empty_page", True)
        self._request: requests.Request | None = None
        self._seen: set[str] = set()

    @property
    def request(self) -> requests.Request:
        """The request this paginator prepares, the one given to ``init_request``."""
        assert self._request is not None, "init_request comes first"
        return self._request

    def init_request(self, request: requests.Request) -> None:
        """Take ``request`` (the first page's) to prepare each next page in; set its paging."""
        self._request = request

    def update(self, response: requests.Response, data: Any) -> bool:
        """Read an answer; prepare the next page's request and return True, or return False.

        Args:
            response: The page's HTTP response (headers, final URL).
            data: Its parsed JSON body.

        Raises:
            MalformedResponseError: the cursor or next link is not a value that can be sent.
            PaginationLoopError: the provider sent a cursor or link it had already sent.
        """
        if self._has_more is not None and not self._has_more(data):
            return False
        return self._advance(response, data)

    def _advance(self, response: requests.Response, data: Any) -> bool:
        return False

    def _set_params(self, values: dict[str, Any]) -> None:
        self.request.params = (self.request.params or {}) | values

    def _guard_repeat(self, value: str, what: str) -> None:
        if value in self._seen:
            raise PaginationLoopError(
                f"the provider sent the same {what} twice; stopping instead of looping"
            )
        self._seen.add(value)


class SinglePage(BasePaginator):
    """One request returns everything."""


class PageNumber(BasePaginator):
    """`?page=1`, `?page=2`, ...; stops on `total_path` pages or above `maximum_page`."""

    def __init__(self, config: rest_specs.PageNumberPaginator) -> None:
        super().__init__(config)
        self.config = config
        self.page = config.base_page
        self._total = compile_getter(config.total_path) if config.total_path else None

    def init_request(self, request: requests.Request) -> None:
        super().init_request(request)
        self._set_params({self.config.page_param: self.page})
        if self.config.page_size_param:
            self.request.params[self.config.page_size_param] = self.config.page_size

    def _advance(self, response: requests.Response, data: Any) -> bool:
        config = self.config
        self.page += 1
        total = _number(self._total(data)) if self._total else None
        if total is not None and self.page > config.base_page + total - 1:
            return False
        if config.maximum_page is not None and self.page > config.maximum_page:
            return False
        self._set_params({config.page_param: self.page})
        return True


class Offset(BasePaginator):
    """`?offset=0&limit=100`, then offset 100, ...; stops when the offset reaches the total."""

    def __init__(self, config: rest_specs.OffsetPaginator) -> None:
        super().__init__(config)
        self.config = config
        self.offset = 0
        self._total = compile_getter(config.total_path) if config.total_path else None

    def init_request(self, request: requests.Request) -> None:
        super().init_request(request)
        self._set_params({self.config.offset_param: 0, self.config.limit_param: self.config.limit})

    def _advance(self, response: requests.Response, data: Any) -> bool:
        self.offset += self.config.limit
        total = _number(self._total(data)) if self._total else None
        if total is not None and self.offset >= total:
            return False
        self._set_params({self.config.offset_param: self.offset})
        return True


class Cursor(BasePaginator):
    """The answer names the next cursor; it goes back as a query parameter or in the body."""

    def __init__(self, config: rest_specs.CursorPaginator) -> None:
        super().__init__(config)
        self.config = config
        self._cursor = compile_getter(config.cursor_path)

    def _advance(self, response: requests.Response, data: Any) -> bool:
        cursor = self._cursor(data)
        if cursor is None or cursor == "":
            return False
        if isinstance(cursor, dict | list):
            raise MalformedResponseError(
                f"cursor_path `{self.config.cursor_path}` is a JSON {json_kind(cursor)}, "
                "not a cursor value"
            )
        self._guard_repeat(str(cursor), "cursor")
        if self.config.cursor_param:
            self._set_params({self.config.cursor_param: cursor})
        elif self.config.cursor_body_path and self.request.json is not None:
            set_body_path(self.request.json, self.config.cursor_body_path, cursor)
        return True


class _NextLink(BasePaginator):
    """The answer holds the URL of the next page; it replaces the request's URL and query."""

    def _next_link(self, response: requests.Response, data: Any) -> Any:
        raise NotImplementedError

    def _advance(self, response: requests.Response, data: Any) -> bool:
        link = self._next_link(response, data)
        if not link:
            return False
        if not isinstance(link, str):
            raise MalformedResponseError("the next link is not a URL string")
        url = urljoin(response.url, link)
        if origin(url) != origin(self.request.url):
            # The auth hook signs whatever URL it is given: never another host's.
            raise MalformedResponseError(
                f"the next link leads to another host ({origin(url)}); credentials go to "
                f"{origin(self.request.url)} only"
            )
        self._guard_repeat(url, "next link")
        self.request.url = url
        self.request.params = None  # the link carries the query of the next page
        return True


class JsonLink(_NextLink):
    """The response body holds the URL of the next page (`links.next`)."""

    def __init__(self, config: rest_specs.JsonLinkPaginator) -> None:
        super().__init__(config)
        self._next_url = compile_getter(config.next_url_path)

    def _next_link(self, response: requests.Response, data: Any) -> Any:
        return self._next_url(data)


class HeaderLink(_NextLink):
    """The `Link: <...>; rel="next"` response header holds the URL of the next page."""

    def __init__(self, config: rest_specs.HeaderLinkPaginator) -> None:
        super().__init__(config)
        self.key = config.links_next_key

    def _next_link(self, response: requests.Response, data: Any) -> Any:
        return response.links.get(self.key, {}).get("url")


PAGINATORS: dict[str, type[BasePaginator]] = {
    "single_page": SinglePage,
    "page_number": PageNumber,
    "offset": Offset,
    "cursor": Cursor,
    "json_link": JsonLink,
    "header_link": HeaderLink,
}


def create_paginator(config: Any) -> BasePaginator:
    """A fresh paginator for one sync, of the class ``PAGINATORS`` names for ``config.type``.

    Raises:
        UnknownNameError: ``config.type`` is not in ``PAGINATORS``; the message lists them.
    """
    cls = PAGINATORS.get(config.type)
    if cls is None:
        raise UnknownNameError("paginator type", config.type, list(PAGINATORS))
    return cls(config)


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


def json_kind(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages (`object`, `array`, ...)."""
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, int | float) else "null"
    )


def _number(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
