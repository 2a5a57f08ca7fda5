"""The paginators of a `rest_api` source (and of its fan-out parent), by `type`, with the names
dlt's `rest_api` users already know."""

from typing import Annotated, Any, Literal

import pydantic

from zartsalgo_pipelines.specs.types import Frozen, JmesPath

# A dotted path into a JSON request body; numbers index lists: `filterGroups.0.filters.0.value`.
BodyPath = Annotated[
    str, pydantic.StringConstraints(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
]
ParamValue = str | int | float | bool


class SinglePage(Frozen):
    """One request returns everything."""

    type: Literal["single_page"] = "single_page"


class _StopConditions(Frozen):
    stop_after_empty_page: bool = pydantic.Field(
        True, description="An empty page ends the sync (always true for cursors and links)."
    )
    has_more_path: JmesPath | None = pydantic.Field(
        None, description="JMESPath to a boolean in the response; false ends the sync."
    )


class PageNumberPaginator(_StopConditions):
    """`?page=1`, `?page=2`, ...; stops on an empty page, `has_more` false or the last page."""

    type: Literal["page_number"]
    page_param: str = "page"
    base_page: int = pydantic.Field(1, ge=0, description="Number of the first page (0 or 1).")
    page_size_param: str | None = None
    page_size: pydantic.PositiveInt | None = None
    total_path: JmesPath | None = pydantic.Field(
        None, description="JMESPath to the total number of pages in the response."
    )
    maximum_page: pydantic.PositiveInt | None = pydantic.Field(
        None, description="Never request a page above this (a guard for endless APIs)."
    )

    @pydantic.model_validator(mode="after")
    def _size_pair(self) -> "PageNumberPaginator":
        if (self.page_size_param is None) != (self.page_size is None):
            raise ValueError("page_size_param and page_size go together")
        return self


class OffsetPaginator(_StopConditions):
    """`?offset=0&limit=100`, then offset 100, ...; stops on a short or empty page, has_more
    false, or when the offset reaches the total."""

    type: Literal["offset"]
    limit: pydantic.PositiveInt
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_path: JmesPath | None = pydantic.Field(
        None, description="JMESPath to the total number of records in the response."
    )


class CursorPaginator(Frozen):
    """The response names the next cursor (`paging.next.after`); it is sent back as a query
    parameter or in the request body. No cursor ends the sync; a repeated cursor fails it."""

    type: Literal["cursor"]
    cursor_path: JmesPath = pydantic.Field(description="JMESPath to the next cursor.")
    cursor_param: str | None = pydantic.Field(None, description="Query parameter to send it in.")
    cursor_body_path: BodyPath | None = pydantic.Field(
        None, description="Or: where to put it in the request body (POST searches)."
    )
    has_more_path: JmesPath | None = None

    @pydantic.model_validator(mode="after")
    def _one_place(self) -> "CursorPaginator":
        if (self.cursor_param is None) == (self.cursor_body_path is None):
            raise ValueError(
                "a cursor paginator needs exactly one of cursor_param, cursor_body_path"
            )
        return self


class JsonLinkPaginator(Frozen):
    """The response body holds the URL of the next page (`links.next`)."""

    type: Literal["json_link"]
    next_url_path: JmesPath


class HeaderLinkPaginator(Frozen):
    """The `Link: <...>; rel="next"` response header holds the URL of the next page (RFC 8288)."""

    type: Literal["header_link"]
    links_next_key: str = "next"


Paginator = Annotated[
    SinglePage
    | PageNumberPaginator
    | OffsetPaginator
    | CursorPaginator
    | JsonLinkPaginator
    | HeaderLinkPaginator,
    pydantic.Field(discriminator="type"),
]


def body_value(body: dict[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of a request body (numeric parts index lists), or None."""
    value: Any = body
    for key in path.split("."):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value
