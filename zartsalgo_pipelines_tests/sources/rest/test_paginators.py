"""The paginators against a real HTTP server on 127.0.0.1: every paginator type reads every
record once, a cursor in a POST body, a repeated cursor or link fails instead of looping,
`max_pages` guards an endless API, and the paginator's getters are compiled once per sync, not
once per page."""

from collections.abc import Callable
from typing import Any

import pytest

from zartsalgo_pipelines.sources.rest import (
    MalformedResponseError,
    PaginationLoopError,
    iter_pages,
    open_provider_session,
    paginators,
    set_body_path,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.sources.rest.helpers import ids, read_all, rest_spec

PAGINATORS = [
    pytest.param({"path": "/items/single"}, id="single_page"),
    pytest.param(
        {"path": "/items/page", "paginator": {"type": "page_number", "total_path": "total_pages"}},
        id="page_number-total",
    ),
    pytest.param(
        {
            "path": "/items/page",
            "paginator": {"type": "page_number", "page_size_param": "per_page", "page_size": 4},
        },
        id="page_number-empty-page",
    ),
    pytest.param(
        {
            "path": "/items/offset",
            "paginator": {"type": "offset", "limit": 4, "total_path": "total"},
        },
        id="offset-total",
    ),
    pytest.param(
        {"path": "/items/offset", "paginator": {"type": "offset", "limit": 5}},
        id="offset-empty-page",
    ),
    pytest.param(
        {
            "path": "/items/cursor",
            "paginator": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
        },
        id="cursor-param",
    ),
    pytest.param(
        {
            "path": "/items/cursor",
            "paginator": {
                "type": "cursor",
                "cursor_path": "next_cursor",
                "cursor_param": "cursor",
                "has_more_path": "has_more",
            },
        },
        id="cursor-has_more",
    ),
    pytest.param(
        {
            "path": "/items/json_link",
            "paginator": {"type": "json_link", "next_url_path": "links.next"},
        },
        id="json_link",
    ),
    pytest.param(
        {"path": "/items/header_link", "paginator": {"type": "header_link"}}, id="header_link"
    ),
]


@pytest.mark.parametrize("source", PAGINATORS)
def test_every_paginator_reads_every_record_once(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], source: dict[str, Any]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 11)]
    records = read_all(rest_spec(make_spec, fake_api, **source))
    assert ids(records) == [f"QR-{n:05d}" for n in range(1, 11)]


def test_cursor_in_the_request_body_pages_a_post_search(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    from zartsalgo_pipelines_tests.fake_api import deal

    fake_api.deals = [deal(n, f"2026-11-{n:02d}T08:00:00.000Z") for n in range(1, 8)]
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/crm/v3/objects/deals/search",
        method="POST",
        body={"limit": 100},
        records_path="results",
        paginator={
            "type": "cursor",
            "cursor_path": "paging.next.after",
            "cursor_body_path": "after",
        },
    )
    records = read_all(spec)
    assert [r["id"] for r in records] == [str(n) for n in range(1, 8)]
    assert [s.body.get("after") for s in fake_api.api_requests()] == [None, "3", "6"]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            {
                "path": "/items/cursor",
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "next_cursor",
                    "cursor_param": "cursor",
                },
            },
            id="cursor",
        ),
        pytest.param(
            {
                "path": "/items/json_link",
                "paginator": {"type": "json_link", "next_url_path": "links.next"},
            },
            id="json_link",
        ),
        pytest.param(
            {"path": "/items/header_link", "paginator": {"type": "header_link"}}, id="header_link"
        ),
    ],
)
def test_a_repeating_cursor_or_link_fails_instead_of_looping(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], source: dict[str, Any]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 11)]
    fake_api.repeat_cursor = True
    with pytest.raises(PaginationLoopError, match=r"same (cursor|next link) twice"):
        read_all(rest_spec(make_spec, fake_api, **source))
    assert len(fake_api.api_requests()) == 2  # the page that repeated it is the last one read


def test_max_pages_guards_an_endless_api(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 11)]
    spec = rest_spec(
        make_spec, fake_api, path="/items/page", paginator={"type": "page_number"}, max_pages=2
    )
    with pytest.raises(Exception, match=r"more than source.max_pages \(2\) pages"):
        read_all(spec)


def test_body_paths_create_and_index_nested_lists() -> None:
    body: dict[str, Any] = {"filterGroups": [{"filters": [{"propertyName": "x", "value": None}]}]}
    set_body_path(body, "filterGroups.0.filters.0.value", 5)
    set_body_path(body, "paging.after", "abc")
    assert body == {
        "filterGroups": [{"filters": [{"propertyName": "x", "value": 5}]}],
        "paging": {"after": "abc"},
    }


@pytest.mark.parametrize(
    ("paginator", "getters"),
    [
        pytest.param(
            {
                "type": "cursor",
                "cursor_path": "next_cursor",
                "cursor_param": "cursor",
                "has_more_path": "has_more",
            },
            ["has_more", "next_cursor"],
            id="cursor",
        ),
        pytest.param(
            {"type": "page_number", "total_path": "total_pages"}, ["total_pages"], id="page_number"
        ),
        pytest.param(
            {"type": "json_link", "next_url_path": "links.next"}, ["links.next"], id="link"
        ),
    ],
)
def test_getters_are_compiled_once_per_sync_not_once_per_page(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    paginator: dict[str, Any],
    getters: list[str],
) -> None:
    compiled: list[str] = []

    def counting(path: str) -> Callable[[Any], Any]:  # the real compiler, counted
        compiled.append(path)
        return real(path)

    real = paginators.compile_getter
    monkeypatch.setattr(paginators, "compile_getter", counting)
    fake_api.items = [quote(n) for n in range(1, 11)]
    route = {"cursor": "cursor", "page_number": "page", "json_link": "json_link"}
    spec = rest_spec(
        make_spec, fake_api, path=f"/items/{route[paginator['type']]}", paginator=paginator
    )
    with open_provider_session(spec) as http:
        pages = list(iter_pages(spec, http))
    assert len(pages) == 4  # 10 records, 3 a page
    assert sorted(compiled) == getters


CURSOR = {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"}
_WHERE = r"^Provider `quote_request`: GET http://127\.0\.0\.1:\d+/items/"


@pytest.mark.parametrize(
    ("source", "repeat", "error", "message"),
    [
        pytest.param(
            {"path": "/items/cursor", "paginator": CURSOR},
            True,
            PaginationLoopError,
            _WHERE + r"cursor\?cursor=\w+: the provider sent the same cursor twice; stopping "
            r"instead of looping$",
            id="repeated-cursor",
        ),
        pytest.param(
            {"path": "/items/cursor", "paginator": CURSOR | {"cursor_path": "@"}},
            False,
            MalformedResponseError,
            _WHERE + r"cursor: cursor_path `@` is a JSON object, not a cursor value$",
            id="cursor-an-object",
        ),
        pytest.param(
            {
                "path": "/items/json_link",
                "paginator": {"type": "json_link", "next_url_path": "data"},
            },
            False,
            MalformedResponseError,
            _WHERE + r"json_link: the next link is not a URL string$",
            id="link-not-a-string",
        ),
    ],
)
def test_a_paginator_failure_names_the_provider_and_the_page_it_read(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    source: dict[str, Any],
    repeat: bool,
    error: type[Exception],
    message: str,
) -> None:
    fake_api.items = [quote(n) for n in range(1, 11)]
    fake_api.repeat_cursor = repeat
    with pytest.raises(error, match=message):
        read_all(rest_spec(make_spec, fake_api, **source))
